import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseResponseHead } from '../../core/proxy/http-parse.js';
import { htmlResponse, REASONS, renderErrorPage, renderUnknownHostPage } from '../../core/proxy/pages.js';
import { escapeHtml } from '../../core/shared/page.js';

describe('escapeHtml', () => {
  test('escapes & < > " \'', () => {
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
    assert.equal(escapeHtml('<script>alert("x")</script>'), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    assert.equal(escapeHtml('&amp;'), '&amp;amp;');
  });

  test('shows control bytes as [xHH], upper-case hex', () => {
    assert.equal(escapeHtml('\x00'), '[x00]');
    assert.equal(escapeHtml('a\x1bb'), 'a[x1B]b');
    assert.equal(escapeHtml('\x07\x08\x0b\x0c\x0e\x1f'), '[x07][x08][x0B][x0C][x0E][x1F]');
    assert.equal(escapeHtml('\x7f'), '[x7F]');
    assert.equal(escapeHtml('\u0085\u009f'), '[x85][x9F]');
  });

  test('keeps tab, newline and carriage return', () => {
    assert.equal(escapeHtml('a\tb\nc\r\nd'), 'a\tb\nc\r\nd');
  });

  test('keeps printable text, including non-ASCII', () => {
    assert.equal(escapeHtml('Café ✓ 日本 \u00a0'), 'Café ✓ 日本 \u00a0');
    assert.equal(escapeHtml(''), '');
  });
});

describe('renderErrorPage', () => {
  const page = {
    status: 502,
    title: 'The worker <crashed> & exited',
    advice: 'Look at "stderr" below',
    app: 'shop',
    stderr: 'TypeError: x is <undefined>\n\x1b[31mred\x1b[0m\n',
    facts: { pid: 4242, 'exit code': 1, signal: undefined, empty: '' },
  };

  test('without details: status, reason and the escaped title only', () => {
    const html = renderErrorPage(page, false);
    assert.match(html, /<h1>502 Bad Gateway<\/h1>/);
    assert.ok(html.includes('The worker &lt;crashed&gt; &amp; exited'));
    assert.ok(!html.includes('TypeError'), 'no stderr without details');
    assert.ok(!html.includes('4242'), 'no facts without details');
    assert.ok(!html.includes('stderr'), 'no advice without details');
    assert.ok(!html.includes('<crashed>'));
  });

  test('with details: advice, facts and the escaped stderr', () => {
    const html = renderErrorPage(page, true);
    assert.ok(html.includes('Look at &quot;stderr&quot; below'));
    assert.ok(html.includes('app: shop'));
    assert.ok(html.includes('pid: 4242'));
    assert.ok(html.includes('exit code: 1'));
    assert.ok(!html.includes('signal:'), 'undefined facts are left out');
    assert.ok(!html.includes('empty:'), 'empty facts are left out');
    assert.ok(html.includes('TypeError: x is &lt;undefined&gt;'));
    assert.ok(html.includes('[x1B][31mred[x1B][0m'));
    assert.ok(!html.includes('\x1b'));
    assert.ok(html.includes('devErrorsEnabled'));
  });

  test('with details and empty stderr: says the worker wrote nothing', () => {
    const html = renderErrorPage({ ...page, stderr: '  \n' }, true);
    assert.ok(html.includes('The worker wrote nothing to stderr or stdout.'));
  });

  test('with details and no stderr known: no stderr section', () => {
    const { stderr: _unused, ...noStderr } = page;
    const html = renderErrorPage(noStderr, true);
    assert.ok(!html.includes('wrote nothing'));
    assert.ok(!html.includes('to stderr:'));
  });

  test('an unknown status still renders', () => {
    const html = renderErrorPage({ status: 599, title: 't', advice: 'a' }, false);
    assert.match(html, /<h1>599 Error<\/h1>/);
  });

  test('is a complete HTML document', () => {
    const html = renderErrorPage(page, true);
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<\/html>\n$/);
    assert.match(html, /<title>502 Bad Gateway · Berth<\/title>/);
  });
});

describe('renderUnknownHostPage', () => {
  test('names the host (escaped) and lists the apps (escaped)', () => {
    const html = renderUnknownHostPage('<evil>.localhost', [
      { name: 'shop', url: 'http://shop.localhost:8080/', state: 'running' },
      { name: 'a&b', url: 'http://a-b.localhost:8080/', state: 'errored' },
    ]);
    assert.ok(html.includes('No app answers on &lt;evil&gt;.localhost'));
    assert.ok(html.includes('<a href="http://shop.localhost:8080/">http://shop.localhost:8080/</a> — shop (running)'));
    assert.ok(html.includes('a&amp;b (errored)'));
    assert.ok(!html.includes('<evil>'));
  });

  test('reached over HTTPS, it links the apps over HTTPS on the port the request came to', () => {
    const apps = [{ name: 'shop', url: 'http://shop.localhost:8080/', state: 'running' }];
    assert.ok(renderUnknownHostPage('x.localhost', apps, 8443).includes('<a href="https://shop.localhost:8443/">https://shop.localhost:8443/</a>'));
    assert.ok(renderUnknownHostPage('x.localhost', apps, 443).includes('<a href="https://shop.localhost/">'));
    assert.ok(renderUnknownHostPage('x.localhost', [{ name: 'a', url: 'http://a.localhost/', state: 'sleeping' }], 8443).includes('https://a.localhost:8443/'));
  });

  test('no host and no apps', () => {
    const html = renderUnknownHostPage(undefined, []);
    assert.ok(html.includes('No app was named in this request'));
    assert.ok(html.includes('No apps are hosted yet'));
  });
});

describe('htmlResponse', () => {
  function split(response: Buffer): { head: string; body: Buffer } {
    const end = response.indexOf('\r\n\r\n');
    assert.ok(end > 0, 'has a head');
    return { head: response.subarray(0, end).toString('latin1'), body: response.subarray(end + 4) };
  }

  test('Content-Length counts bytes, not characters', () => {
    const html = '<p>Café ✓ 日本</p>';
    const { head, body } = split(htmlResponse(500, html));
    assert.equal(body.toString('utf8'), html);
    const parsed = parseResponseHead(head);
    assert.equal(parsed.contentLength, Buffer.byteLength(html));
    assert.equal(parsed.contentLength, body.length);
    assert.notEqual(parsed.contentLength, html.length);
  });

  test('status line, content type, no-store, nosniff and Connection: close by default', () => {
    const { head } = split(htmlResponse(503, 'x'));
    const lines = head.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 503 Service Unavailable');
    assert.ok(lines.includes('Content-Type: text/html; charset=utf-8'));
    assert.ok(lines.includes('Cache-Control: no-store'));
    assert.ok(lines.includes('X-Content-Type-Options: nosniff'));
    assert.ok(lines.includes('Connection: close'));
    assert.equal(parseResponseHead(head).close, true);
  });

  test('extra headers, and keep-alive when close is false', () => {
    const { head } = split(htmlResponse(404, 'x', { 'X-Berth': 'yes', 'Retry-After': '1' }, false));
    const lines = head.split('\r\n');
    assert.ok(lines.includes('X-Berth: yes'));
    assert.ok(lines.includes('Retry-After: 1'));
    assert.ok(!lines.some((l) => /^connection:/i.test(l)));
    assert.equal(parseResponseHead(head).close, false);
  });

  test('an unknown status gets the reason "Error"', () => {
    assert.equal(split(htmlResponse(418, '')).head.split('\r\n')[0], 'HTTP/1.1 418 Error');
  });

  test('the reasons Berth uses are the standard ones', () => {
    assert.equal(REASONS[502], 'Bad Gateway');
    assert.equal(REASONS[431], 'Request Header Fields Too Large');
    assert.equal(REASONS[504], 'Gateway Timeout');
  });

  test('the whole error page travels intact', () => {
    const html = renderErrorPage({ status: 500, title: 'Ünïcödé', advice: '…' }, true);
    const { head, body } = split(htmlResponse(500, html));
    assert.equal(parseResponseHead(head).contentLength, body.length);
    assert.equal(body.toString('utf8'), html);
  });
});

test('isLoopback accepts IPv4 loopback, ::1 and mapped loopback only', async () => {
  const { isLoopback } = await import('../../core/proxy/front-server.js');
  for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
  for (const address of ['192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '', undefined]) assert.equal(isLoopback(address), false, String(address));
});
