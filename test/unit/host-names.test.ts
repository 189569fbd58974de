import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostFor, hostOfHeader, toDnsLabel, uniqueLabel } from '../../core/util/host-names.js';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

describe('toDnsLabel', () => {
  test('lower-cases and keeps letters, digits and hyphens', () => {
    assert.equal(toDnsLabel('Shop'), 'shop');
    assert.equal(toDnsLabel('my-app2'), 'my-app2');
    assert.equal(toDnsLabel('API-v2'), 'api-v2');
  });

  test('spaces, underscores, dots and other punctuation become single hyphens', () => {
    assert.equal(toDnsLabel('My App'), 'my-app');
    assert.equal(toDnsLabel('my_app'), 'my-app');
    assert.equal(toDnsLabel('my__app  (copy)'), 'my-app-copy');
    assert.equal(toDnsLabel('site.example'), 'site-example');
    assert.equal(toDnsLabel('a - b'), 'a-b');
  });

  test('removes accents', () => {
    assert.equal(toDnsLabel('Café Crème'), 'cafe-creme');
    assert.equal(toDnsLabel('Ångström'), 'angstrom');
    assert.equal(toDnsLabel('naïve-résumé'), 'naive-resume');
    assert.equal(toDnsLabel('Cafe\u0301'), 'cafe'); // already decomposed
  });

  test('no leading or trailing hyphen', () => {
    assert.equal(toDnsLabel('  -app-  '), 'app');
    assert.equal(toDnsLabel('_private_'), 'private');
    assert.equal(toDnsLabel('(app)'), 'app');
  });

  test('a name with nothing usable becomes "app"', () => {
    assert.equal(toDnsLabel(''), 'app');
    assert.equal(toDnsLabel('___'), 'app');
    assert.equal(toDnsLabel('日本語'), 'app');
    assert.equal(toDnsLabel('---'), 'app');
  });

  test('long names are cut to 63 characters without a trailing hyphen', () => {
    const long = toDnsLabel('a'.repeat(100));
    assert.equal(long, 'a'.repeat(63));
    const cutAtHyphen = toDnsLabel(`${'a'.repeat(62)} b`);
    assert.equal(cutAtHyphen, 'a'.repeat(62));
    const words = toDnsLabel('The Quick Brown Fox Jumps Over The Lazy Dog And Keeps Running Far Away');
    assert.ok(words.length <= 63, words);
    assert.match(words, DNS_LABEL);
  });

  test('the result is always a valid DNS label', () => {
    for (const name of ['x', 'Über Projekt', 'a_b.c d', '123', `${'é'.repeat(80)}`, '-', 'app--name', 'ß-straße']) {
      assert.match(toDnsLabel(name), DNS_LABEL, name);
    }
  });
});

describe('uniqueLabel', () => {
  test('a free label is kept', () => {
    assert.equal(uniqueLabel('shop', new Set(['blog'])), 'shop');
    assert.equal(uniqueLabel('shop', new Set()), 'shop');
  });

  test('a taken label gets -2, then -3, …', () => {
    assert.equal(uniqueLabel('shop', new Set(['shop'])), 'shop-2');
    assert.equal(uniqueLabel('shop', new Set(['shop', 'shop-2'])), 'shop-3');
    assert.equal(uniqueLabel('shop', new Set(['shop', 'shop-2', 'shop-3', 'shop-5'])), 'shop-4');
  });

  test('a 63-character label is shortened to make room for the suffix', () => {
    const label = 'a'.repeat(63);
    const two = uniqueLabel(label, new Set([label]));
    assert.equal(two, `${'a'.repeat(61)}-2`);
    assert.equal(two.length, 63);
    const ten = uniqueLabel(label, new Set([label, ...Array.from({ length: 8 }, (_, i) => `${'a'.repeat(61)}-${i + 2}`)]));
    assert.equal(ten, `${'a'.repeat(60)}-10`);
    assert.equal(ten.length, 63);
  });
});

describe('hostFor', () => {
  test('no hostname: <label>.localhost', () => {
    assert.equal(hostFor('shop', ''), 'shop.localhost');
    assert.equal(hostFor('shop', '   '), 'shop.localhost');
  });

  test('a bare label becomes <label>.localhost, lower case', () => {
    assert.equal(hostFor('folder', 'Store'), 'store.localhost');
  });

  test('a name with a dot is used as is, lower case, without a trailing dot', () => {
    assert.equal(hostFor('folder', 'Shop.Example.Test'), 'shop.example.test');
    assert.equal(hostFor('folder', 'shop.localhost.'), 'shop.localhost');
    assert.equal(hostFor('folder', ' api.localhost '), 'api.localhost');
  });
});

describe('hostOfHeader', () => {
  test('lower-cases and drops the port', () => {
    assert.equal(hostOfHeader('Shop.Localhost:8080'), 'shop.localhost');
    assert.equal(hostOfHeader('shop.localhost'), 'shop.localhost');
    assert.equal(hostOfHeader('127.0.0.1:80'), '127.0.0.1');
    assert.equal(hostOfHeader('LOCALHOST'), 'localhost');
  });

  test('drops a trailing dot, with or without a port', () => {
    assert.equal(hostOfHeader('shop.localhost.'), 'shop.localhost');
    assert.equal(hostOfHeader('shop.localhost.:8080'), 'shop.localhost');
  });

  test('keeps IPv6 literals with their brackets, without the port', () => {
    assert.equal(hostOfHeader('[::1]:8080'), '[::1]');
    assert.equal(hostOfHeader('[::1]'), '[::1]');
    assert.equal(hostOfHeader('[FE80::1]:80'), '[fe80::1]');
    assert.equal(hostOfHeader('[::1'), '[::1');
  });

  test('trims spaces; an empty header stays empty', () => {
    assert.equal(hostOfHeader('  shop.localhost:8080 '), 'shop.localhost');
    assert.equal(hostOfHeader(''), '');
  });
});
