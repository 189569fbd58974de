import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, test } from 'node:test';
import {
  lookupPollingInfo,
  needsPolling,
  parseNetUse,
  pollingForcedByEnv,
  windowsDriveKinds,
  windowsRoot,
  type DriveKind,
} from '../../core/watch/polling.js';

/** A drive lookup where only the given letters are network drives. */
const drives =
  (...network: string[]) =>
  (letter: string): DriveKind =>
    network.includes(letter) ? 'network' : 'local';

describe('windowsRoot', () => {
  test('tells UNC shares from drive letters, in every spelling', () => {
    assert.deepEqual(windowsRoot('\\\\server\\share\\app'), { unc: true });
    assert.deepEqual(windowsRoot('//server/share/app'), { unc: true });
    assert.deepEqual(windowsRoot('\\\\?\\UNC\\server\\share\\app'), { unc: true });
    assert.deepEqual(windowsRoot('C:\\apps\\site'), { drive: 'C' });
    assert.deepEqual(windowsRoot('z:/apps'), { drive: 'Z' });
    assert.deepEqual(windowsRoot('\\\\?\\D:\\apps'), { drive: 'D' });
    assert.deepEqual(windowsRoot('\\\\.\\E:\\apps'), { drive: 'E' });
    assert.equal(windowsRoot('apps\\site'), null);
    assert.equal(windowsRoot('\\\\.\\pipe\\x'), null);
  });
});

describe('needsPolling', () => {
  test('UNC paths are polled on Windows, as iisnode did', () => {
    for (const folder of ['\\\\server\\share\\app', '//server/share/app', '\\\\?\\UNC\\server\\share\\app']) {
      assert.deepEqual(needsPolling(folder, 'win32'), { polling: true, reason: 'UNC path' }, folder);
    }
  });

  test('mapped network drives are polled, local drives are not', () => {
    assert.deepEqual(needsPolling('Z:\\app', 'win32', { driveKind: drives('Z') }), { polling: true, reason: 'drive Z: is a network drive' });
    assert.deepEqual(needsPolling('z:\\app', 'win32', { driveKind: drives('Z') }), { polling: true, reason: 'drive Z: is a network drive' });
    assert.deepEqual(needsPolling('D:\\app', 'win32', { driveKind: drives('Z') }), { polling: false, reason: 'local folder' });
    assert.deepEqual(needsPolling('C:\\app', 'win32', { driveKind: drives('Z') }), { polling: false, reason: 'local folder' });
  });

  test('an unknown drive is assumed local, and says so', () => {
    assert.deepEqual(needsPolling('D:\\app', 'win32'), { polling: false, reason: 'drive D: type unknown, assumed local' });
    assert.deepEqual(needsPolling('D:\\app', 'win32', { driveKind: () => 'unknown' }), {
      polling: false,
      reason: 'drive D: type unknown, assumed local',
    });
  });

  test('forcing polls any folder on any platform', () => {
    for (const platform of ['win32', 'linux', 'darwin'] as const) {
      assert.deepEqual(needsPolling('/srv/app', platform, { force: true }), { polling: true, reason: 'polling forced' });
    }
    assert.deepEqual(needsPolling('C:\\app', 'win32', { force: true, driveKind: drives() }), { polling: true, reason: 'polling forced' });
  });

  test('Linux polls network file systems by statfs type', () => {
    assert.deepEqual(needsPolling('/mnt/share', 'linux', { fsType: 0x6969 }), { polling: true, reason: 'NFS file system' });
    assert.deepEqual(needsPolling('/mnt/share', 'linux', { fsType: 0xff534d42 }), { polling: true, reason: 'CIFS file system' });
    assert.deepEqual(needsPolling('/mnt/c/app', 'linux', { fsType: 0x01021997 }), {
      polling: true,
      reason: '9p (WSL drives, VM shares) file system',
    });
    assert.deepEqual(needsPolling('/home/app', 'linux', { fsType: 0xef53 }), { polling: false, reason: 'local folder' });
    assert.deepEqual(needsPolling('/home/app', 'linux'), { polling: false, reason: 'local folder' });
  });

  test('backslash paths are not UNC outside Windows', () => {
    assert.equal(needsPolling('\\\\server\\share', 'linux').polling, false);
    assert.equal(needsPolling('//server/share', 'darwin').polling, false);
  });
});

describe('pollingForcedByEnv', () => {
  test('BERTH_FORCE_POLLING accepts the usual true spellings only', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes', 'on', ' 1 ']) assert.equal(pollingForcedByEnv({ BERTH_FORCE_POLLING: value }), true, value);
    for (const value of ['0', 'false', 'no', '', 'off']) assert.equal(pollingForcedByEnv({ BERTH_FORCE_POLLING: value }), false, value);
    assert.equal(pollingForcedByEnv({}), false);
  });
});

describe('mapped drives from net use', () => {
  const english = [
    'New connections will be remembered.',
    '',
    '',
    'Status       Local     Remote                    Network',
    '',
    '-------------------------------------------------------------------------------',
    'OK           Z:        \\\\fileserver\\projects     Microsoft Windows Network',
    'Unavailable  y:        \\\\nas\\backup              Microsoft Windows Network',
    'OK                     \\\\fileserver\\IPC$         Microsoft Windows Network',
    'The command completed successfully.',
    '',
  ].join('\r\n');
  const german = [
    'Neue Verbindungen werden gespeichert.',
    'Status       Lokal     Remote                    Netzwerk',
    '-------------------------------------------------------------------------------',
    'OK           P:        \\\\srv\\daten               Microsoft Windows Network',
    'Getrennt     Q:        \\\\srv\\archiv              Microsoft Windows Network',
    'Der Befehl wurde erfolgreich ausgeführt.',
  ].join('\r\n');

  test('parseNetUse reads the drive letters, whatever the language', () => {
    assert.deepEqual([...parseNetUse(english)].sort(), ['Y', 'Z']);
    assert.deepEqual([...parseNetUse(german)].sort(), ['P', 'Q']);
    assert.deepEqual([...parseNetUse('There are no entries in the list.\r\n')], []);
  });

  test('windowsDriveKinds: listed letters are network, others local, a failing net use unknown', async () => {
    const kinds = await windowsDriveKinds(async () => english);
    assert.equal(kinds('Z'), 'network');
    assert.equal(kinds('y'), 'network');
    assert.equal(kinds('C'), 'local');
    const failed = await windowsDriveKinds(async () => {
      throw new Error('The Workstation service has not been started.');
    });
    assert.equal(failed('Z'), 'unknown');
  });
});

describe('lookupPollingInfo', () => {
  test('on Linux it reads the real file-system type; forcing skips the lookup', async () => {
    const info = await lookupPollingInfo(os.tmpdir(), 'linux', false);
    assert.equal(typeof info.fsType, 'number');
    assert.deepEqual(await lookupPollingInfo(os.tmpdir(), 'linux', true), { force: true });
    assert.deepEqual(await lookupPollingInfo('/does/not/exist', 'linux', false), {});
    assert.deepEqual(await lookupPollingInfo('/srv/app', 'darwin', false), {});
  });
});
