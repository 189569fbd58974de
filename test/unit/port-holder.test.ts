import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inodesFromProcNet, nameFromTasklist, pidFromNetstat } from '../../core/platform/port-holder.js';

const NETSTAT = [
  '',
  'Active Connections',
  '',
  '  Proto  Local Address          Foreign Address        State           PID',
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1032',
  '  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4',
  '  TCP    0.0.0.0:8080           0.0.0.0:0              LISTENING       6120',
  '  TCP    127.0.0.1:8080         127.0.0.1:52144        ESTABLISHED     6120',
  '  TCP    127.0.0.1:52144        127.0.0.1:8080         ESTABLISHED     9900',
  '  TCP    127.0.0.1:62522        0.0.0.0:0              LISTENING       3388',
  '  TCP    192.168.1.20:139       0.0.0.0:0              LISTENING       4',
  '  TCP    192.168.1.20:50512     52.112.1.1:443         TIME_WAIT       0',
  '  TCP    [::]:135               [::]:0                 LISTENING       1032',
  '  TCP    [::]:8443              [::]:0                 LISTENING       7001',
  '  TCP    [::1]:9229             [::]:0                 LISTENING       7777',
  '  TCP    [fe80::1c2d:3e4f:5a6b:7c8d%12]:5357 [::]:0    LISTENING       4',
  '  UDP    0.0.0.0:5353           *:*                                    2212',
  '',
].join('\r\n');

describe('pidFromNetstat', () => {
  test('finds the pid listening on an IPv4 port', () => {
    assert.equal(pidFromNetstat(NETSTAT, 8080), 6120);
    assert.equal(pidFromNetstat(NETSTAT, 135), 1032);
    assert.equal(pidFromNetstat(NETSTAT, 62522), 3388);
  });

  test('finds System (pid 4) holding a port through http.sys', () => {
    assert.equal(pidFromNetstat(NETSTAT, 445), 4);
  });

  test('finds the pid listening on an IPv6-only port', () => {
    assert.equal(pidFromNetstat(NETSTAT, 8443), 7001);
    assert.equal(pidFromNetstat(NETSTAT, 9229), 7777);
    assert.equal(pidFromNetstat(NETSTAT, 5357), 4);
  });

  test('ignores connections that are not listening', () => {
    assert.equal(pidFromNetstat(NETSTAT, 52144), undefined);
    assert.equal(pidFromNetstat(NETSTAT, 50512), undefined);
  });

  test('ignores UDP and the header line', () => {
    assert.equal(pidFromNetstat(NETSTAT, 5353), undefined);
  });

  test('does not match a port by prefix or suffix', () => {
    assert.equal(pidFromNetstat(NETSTAT, 80), undefined);
    assert.equal(pidFromNetstat(NETSTAT, 808), undefined);
    assert.equal(pidFromNetstat(NETSTAT, 35), undefined);
  });

  test('works with LF line endings and empty output', () => {
    assert.equal(pidFromNetstat(NETSTAT.replace(/\r\n/g, '\n'), 8080), 6120);
    assert.equal(pidFromNetstat('', 8080), undefined);
  });
});

describe('nameFromTasklist', () => {
  test('reads the image name from the CSV row', () => {
    assert.equal(nameFromTasklist('"node.exe","6120","Console","1","45,120 K"\r\n'), 'node.exe');
    assert.equal(nameFromTasklist('\r\n"Code - Insiders.exe","812","Console","1","120,004 K"\r\n'), 'Code - Insiders.exe');
  });

  test('no match: undefined', () => {
    assert.equal(nameFromTasklist('INFO: No tasks are running which match the specified criteria.\r\n'), undefined);
    assert.equal(nameFromTasklist(''), undefined);
  });
});

const PROC_NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4411223 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20541 1 0000000000000000 100 0 0 10 0',
  '   2: 0100007F:1F90 0100007F:CB20 01 00000000:00000000 00:00000000 00000000  1000        0 4411999 1 0000000000000000 20 4 30 10 -1',
  '   3: 0100007F:CB20 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4412000 1 0000000000000000 20 4 30 10 -1',
  '   4: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0000000000000000 100 0 0 10 0',
  '',
].join('\n');

const PROC_NET_TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4411224 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000000000000000000001000000:2406 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7788 1 0000000000000000 100 0 0 10 0',
  '',
].join('\n');

describe('inodesFromProcNet', () => {
  test('finds the listening socket inode for a port (hex in the table)', () => {
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP, 8080), ['4411223']);
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP, 22), ['20541']);
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP, 80), ['555']);
  });

  test('ignores established connections (state 01)', () => {
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP, 0xcb20), []);
  });

  test('reads tcp6 tables', () => {
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP6, 8080), ['4411224']);
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP6, 9222), ['7788']);
  });

  test('nothing listening, an empty table or only the header: no inodes', () => {
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP, 3000), []);
    assert.deepEqual(inodesFromProcNet('', 8080), []);
    assert.deepEqual(inodesFromProcNet(PROC_NET_TCP.split('\n')[0]!, 8080), []);
  });

  test('the header line is never read as a socket', () => {
    const headerLike = '   0: 0100007F:1F90 00000000:0000 0A 0 0 0 0 0 999\n';
    assert.deepEqual(inodesFromProcNet(headerLike, 8080), []);
  });
});
