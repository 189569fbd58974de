import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gate, registerIpc, trustedSender, type InvokeEventLike } from '../../electron/ipc.js';
import { isAppUrl, isExternalWebUrl, isLoopbackDevtoolsUrl } from '../../electron/origin.js';
import { assetPath, contentType } from '../../electron/renderer-files.js';
import { CONTENT_SECURITY_POLICY, decideWindowOpen, hardenContents, navigationAllowed } from '../../electron/security.js';

const fromApp: InvokeEventLike = { senderFrame: { url: 'berth://app/index.html', parent: null } };

describe('origins', () => {
  test("only Berth's own page counts as the app, parsed rather than prefix-matched", () => {
    assert.equal(isAppUrl('berth://app/index.html'), true);
    assert.equal(isAppUrl('berth://app/'), true);
    for (const url of ['berth://app.evil/', 'berth://evil/app', 'https://app/', 'file:///C:/berth/index.html', 'berth://user@app/', 'http://127.0.0.1:8080/', '', undefined, 'not a url']) {
      assert.equal(isAppUrl(url), false, String(url));
    }
  });

  test('web links go to the browser; files, scripts and custom schemes do not', () => {
    assert.equal(isExternalWebUrl('https://nodejs.org/'), true);
    assert.equal(isExternalWebUrl('http://shop.localhost:8080/'), true);
    for (const url of ['file:///C:/Windows/system32/calc.exe', 'javascript:alert(1)', 'ms-settings:', 'berth://app/']) assert.equal(isExternalWebUrl(url), false, url);
  });

  test('DevTools links are accepted only for an inspector on loopback', () => {
    assert.equal(isLoopbackDevtoolsUrl('devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:5058/3f1a'), true);
    assert.equal(isLoopbackDevtoolsUrl('devtools://devtools/bundled/js_app.html?ws=evil.example:5058/x'), false);
    assert.equal(isLoopbackDevtoolsUrl('devtools://devtools/custom/x.html?ws=127.0.0.1:1/x'), false);
  });
});

describe('IPC sender checks', () => {
  test("a call from Berth's page in its main frame is answered; anything else is refused", async () => {
    const handler = gate('berth:get-settings', () => ({ closeToTray: true, startAtLogin: false, frontPort: 8080, nodePath: '', notifications: true }));
    assert.deepEqual(await handler(fromApp), { ok: true, value: { closeToTray: true, startAtLogin: false, frontPort: 8080, nodePath: '', notifications: true } });
    const refused: string[] = [];
    const strict = gate('berth:get-settings', () => ({}) as never, (channel, url) => refused.push(`${channel} ${url}`));
    for (const event of [
      { senderFrame: { url: 'https://evil.example/', parent: null } },
      { senderFrame: { url: 'berth://app/index.html', parent: {} } },
      { senderFrame: { url: 'file:///C:/x.html', parent: null } },
      { senderFrame: null },
    ]) {
      const result = await strict(event);
      assert.deepEqual(result, { ok: false, error: { code: 'FORBIDDEN', message: "Only Berth's own window may call this." } });
    }
    assert.equal(refused.length, 4);
    assert.equal(trustedSender(fromApp), true);
  });

  test('arguments are checked per channel, and failures come back as data with a code', async () => {
    const open = gate('berth:open-external', async (url: string) => {
      if (!url.startsWith('https:')) throw new Error('Berth opens web addresses only.');
    });
    assert.deepEqual(await open(fromApp, 42), { ok: false, error: { code: 'BAD_ARGUMENTS', message: 'Wrong arguments for berth:open-external.' } });
    assert.deepEqual(await open(fromApp, 'https://a', 'extra'), { ok: false, error: { code: 'BAD_ARGUMENTS', message: 'Wrong arguments for berth:open-external.' } });
    assert.deepEqual(await open(fromApp, 'file:///x'), { ok: false, error: { code: 'FAILED', message: 'Berth opens web addresses only.' } });
    assert.deepEqual(await open(fromApp, 'https://nodejs.org'), { ok: true, value: undefined });
    const settings = gate('berth:set-settings', (patch) => patch as never);
    assert.equal((await settings(fromApp, ['not', 'an', 'object'])).ok, false);
  });

  test('every channel of the bridge is registered, and removed again', () => {
    const handled = new Set<string>();
    const ipcMain = { handle: (c: string) => handled.add(c), removeHandler: (c: string) => handled.delete(c) };
    const noop = async () => undefined as never;
    const dispose = registerIpc(ipcMain, {
      'berth:engine-endpoint': noop,
      'berth:pick-folders': noop,
      'berth:open-external': noop,
      'berth:reveal': noop,
      'berth:open-folder': noop,
      'berth:get-settings': noop,
      'berth:set-settings': noop,
    });
    assert.deepEqual([...handled].sort(), ['berth:engine-endpoint', 'berth:get-settings', 'berth:open-external', 'berth:open-folder', 'berth:pick-folders', 'berth:reveal', 'berth:set-settings']);
    dispose();
    assert.equal(handled.size, 0);
  });
});

describe('web contents hardening', () => {
  test('navigation stays on the page; new windows are denied and web links open in the browser', () => {
    assert.equal(navigationAllowed('berth://app/index.html#x'), true);
    assert.equal(navigationAllowed('https://evil.example/'), false);
    assert.deepEqual(decideWindowOpen('https://nodejs.org/'), { action: 'deny', openExternally: 'https://nodejs.org/' });
    assert.deepEqual(decideWindowOpen('file:///C:/x'), { action: 'deny' });
  });

  test('hardenContents wires every guard: navigation, redirects, webviews, windows, permissions', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    let permission: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
    let check: ((c: unknown, p: string) => boolean) | null = null;
    const opened: string[] = [];
    hardenContents(
      {
        on: (event: string, listener: (event: { preventDefault(): void }, url: string) => void) => listeners.set(event, listener),
        setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h),
        session: { setPermissionRequestHandler: (h: typeof permission) => (permission = h), setPermissionCheckHandler: (h: typeof check) => (check = h) },
      } as never,
      (url) => opened.push(url),
    );
    let prevented = 0;
    const event = { preventDefault: () => void prevented++ };
    listeners.get('will-navigate')!(event, 'https://evil.example/');
    listeners.get('will-navigate')!(event, 'berth://app/index.html');
    listeners.get('will-redirect')!(event, 'file:///etc/passwd');
    listeners.get('will-attach-webview')!(event, '');
    assert.equal(prevented, 3);
    assert.deepEqual(openHandler!({ url: 'https://nodejs.org/' }), { action: 'deny' });
    assert.deepEqual(opened, ['https://evil.example/', 'https://nodejs.org/']);
    let granted: boolean | undefined;
    permission!(null, 'media', (g) => (granted = g));
    assert.equal(granted, false);
    assert.equal(check!(null, 'notifications'), false);
  });

  test('the content security policy allows only this build and the engine on loopback', () => {
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.match(CONTENT_SECURITY_POLICY, /connect-src ws:\/\/127\.0\.0\.1:\*/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval/);
  });

  test("the page's files come from the renderer folder and nowhere else", () => {
    const root = process.platform === 'win32' ? 'C:\\app\\dist\\renderer' : '/app/dist/renderer';
    const sep = process.platform === 'win32' ? '\\' : '/';
    assert.equal(assetPath(root, 'berth://app/'), `${root}${sep}index.html`);
    assert.equal(assetPath(root, 'berth://app/assets/index-abc.js'), `${root}${sep}assets${sep}index-abc.js`);
    // The URL parser folds dot segments (plain or %2e-encoded) into the folder; nothing may land outside it.
    for (const url of ['berth://app/../../secret.txt', 'berth://app/%2e%2e/%2e%2e/secret', 'berth://app/a/../../../b']) {
      const file = assetPath(root, url);
      assert.ok(file && !path.relative(root, file).startsWith('..'), `${url} -> ${file}`);
    }
    for (const url of ['berth://app/..%5c..%5csecret', 'berth://other/index.html', 'https://app/index.html', 'berth://app/%00x', 'berth://app/%E0%A4%A']) {
      assert.equal(assetPath(root, url), undefined, url);
    }
    assert.equal(contentType('a/index.html'), 'text/html; charset=utf-8');
    assert.equal(contentType('a/x.JS'), 'text/javascript; charset=utf-8');
    assert.equal(contentType('a/x.bin'), 'application/octet-stream');
  });
});
