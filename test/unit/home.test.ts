import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { berthHome, HOME_FILES, homeFile } from '../../core/home.js';

describe('berthHome: the Berth home folder per platform (platform injected)', () => {
  test('BERTH_HOME wins everywhere; a relative one is taken from the current folder', () => {
    assert.equal(berthHome({ env: { BERTH_HOME: '/srv/berth', APPDATA: 'C:\\x' }, platform: 'linux', homedir: '/home/me' }), '/srv/berth');
    assert.equal(berthHome({ env: { BERTH_HOME: 'state' }, platform: 'linux', homedir: '/home/me', cwd: '/work' }), '/work/state');
    assert.equal(berthHome({ env: { BERTH_HOME: 'D:\\Berth' }, platform: 'win32', homedir: 'C:\\Users\\me' }), 'D:\\Berth');
    assert.equal(berthHome({ env: { BERTH_HOME: 'state' }, platform: 'win32', homedir: 'C:\\Users\\me', cwd: 'C:\\work' }), 'C:\\work\\state');
  });

  test('an empty BERTH_HOME is ignored', () => {
    assert.equal(berthHome({ env: { BERTH_HOME: '  ' }, platform: 'linux', homedir: '/home/me' }), '/home/me/.config/berth');
  });

  test('Windows: %APPDATA%\\Berth (the variable matched case-insensitively), else the roaming profile folder', () => {
    assert.equal(berthHome({ env: { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\me' }), 'C:\\Users\\me\\AppData\\Roaming\\Berth');
    assert.equal(berthHome({ env: { AppData: 'D:\\Profiles\\me\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\me' }), 'D:\\Profiles\\me\\Roaming\\Berth');
    assert.equal(berthHome({ env: {}, platform: 'win32', homedir: 'C:\\Users\\me' }), 'C:\\Users\\me\\AppData\\Roaming\\Berth');
  });

  test('macOS: ~/Library/Application Support/Berth (XDG_CONFIG_HOME is not a macOS convention)', () => {
    assert.equal(berthHome({ env: { XDG_CONFIG_HOME: '/x' }, platform: 'darwin', homedir: '/Users/me' }), '/Users/me/Library/Application Support/Berth');
  });

  test('Linux and others: $XDG_CONFIG_HOME/berth when absolute, else ~/.config/berth', () => {
    assert.equal(berthHome({ env: { XDG_CONFIG_HOME: '/home/me/cfg' }, platform: 'linux', homedir: '/home/me' }), '/home/me/cfg/berth');
    assert.equal(berthHome({ env: { XDG_CONFIG_HOME: 'relative' }, platform: 'linux', homedir: '/home/me' }), '/home/me/.config/berth');
    assert.equal(berthHome({ env: {}, platform: 'freebsd', homedir: '/home/me' }), '/home/me/.config/berth');
  });

  test('the files in it', () => {
    assert.deepEqual(HOME_FILES, { registry: 'apps.yml', token: 'token', discovery: 'engine.json', history: 'events.json', caCert: 'ca.pem', caKey: 'ca-key.pem' });
    assert.match(homeFile('/b', 'discovery'), /[\\/]b[\\/]engine\.json$/);
  });
});
