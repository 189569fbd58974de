import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMachineHost, routeByHost } from '../../core/routing.js';

const shop = { host: 'shop.localhost', name: 'shop' };
const blog = { host: 'blog.localhost', name: 'blog' };
const custom = { host: 'api.example.test', name: 'api' };

describe('routeByHost', () => {
  test('an exact host match, among several apps', () => {
    assert.equal(routeByHost('shop.localhost', [shop, blog]), shop);
    assert.equal(routeByHost('blog.localhost', [shop, blog]), blog);
    assert.equal(routeByHost('api.example.test', [shop, blog, custom]), custom);
  });

  test('matches case-insensitively, with a port, with a trailing dot', () => {
    assert.equal(routeByHost('SHOP.LocalHost:8080', [shop, blog]), shop);
    assert.equal(routeByHost('blog.localhost.:8080', [shop, blog]), blog);
  });

  test('machine hosts reach the only app', () => {
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1', '127.0.0.1:8080', '[::1]:8080', '[::1]', 'MYPC', 'mypc:8080', '', undefined]) {
      assert.equal(routeByHost(host, [shop]), shop, String(host));
    }
  });

  test('machine hosts reach no app when several are hosted', () => {
    for (const host of ['localhost', '127.0.0.1:8080', '[::1]:8080', 'mypc', undefined]) {
      assert.equal(routeByHost(host, [shop, blog]), undefined, String(host));
    }
  });

  test('an unknown *.localhost name reaches no app, even when only one is hosted', () => {
    assert.equal(routeByHost('other.localhost', [shop]), undefined);
    assert.equal(routeByHost('other.localhost:8080', [shop]), undefined);
    assert.equal(routeByHost('shop.localhost.evil.test', [shop]), undefined);
  });

  test('an unknown full name reaches no app', () => {
    assert.equal(routeByHost('example.com', [shop]), undefined);
    assert.equal(routeByHost('www.shop.localhost', [shop, blog]), undefined);
  });

  test('no apps: nothing', () => {
    assert.equal(routeByHost('localhost', []), undefined);
    assert.equal(routeByHost(undefined, []), undefined);
  });

  test('an exact match wins even for a machine-like host', () => {
    const local = { host: 'localhost', name: 'local' };
    assert.equal(routeByHost('localhost:8080', [shop, local]), local);
  });
});

describe('isMachineHost', () => {
  test('localhost, IP addresses, bracketed IPv6 and dotless names name the machine', () => {
    for (const host of ['', 'localhost', '127.0.0.1', '192.168.1.20', '[::1]', '::1', '[fe80::1]', 'mypc']) {
      assert.equal(isMachineHost(host), true, host);
    }
  });

  test('dotted names do not', () => {
    for (const host of ['shop.localhost', 'example.com', 'mypc.lan', '1.2.3']) {
      assert.equal(isMachineHost(host), false, host);
    }
  });
});

describe('HostRouter', () => {
  test('routes like routeByHost, caches known hosts, and forgets them when the apps change', async () => {
    const { HostRouter } = await import('../../core/routing.js');
    const router = new HostRouter<{ host: string }>();
    const shop = { host: 'shop.localhost' };
    const blog = { host: 'blog.localhost' };
    router.update([shop]);
    assert.equal(router.route('shop.localhost:8080'), shop);
    assert.equal(router.route('localhost'), shop);
    assert.equal(router.route('nope.localhost'), undefined);
    router.update([shop, blog]);
    assert.equal(router.route('localhost'), undefined, 'two apps: the machine host names none');
    assert.equal(router.route('blog.localhost'), blog);
    router.update([blog]);
    assert.equal(router.route('shop.localhost:8080'), undefined);
  });
});
