import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attribute, attributeOffsets, childrenNamed, decodeXmlBytes, LineIndex, parseXml, type XmlElement, type XmlResult } from '../../core/iis/xml.js';

function root(result: XmlResult): XmlElement {
  assert.equal(result.ok, true, `expected XML to parse, got ${JSON.stringify(result)}`);
  if (!result.ok) throw new Error('unreachable');
  return result.root;
}

function failure(result: XmlResult): { message: string; line: number; column: number } {
  assert.equal(result.ok, false, 'expected a parse error');
  if (result.ok) throw new Error('unreachable');
  return result.error;
}

describe('parseXml: the element tree', () => {
  const text = [
    '<?xml version="1.0" encoding="utf-8"?>', // 1
    '<configuration>', // 2
    '  <!-- a comment <not an="element"/> -->', // 3
    '  <system.webServer>', // 4
    '    <iisnode nodeProcessCommandLine="&quot;C:\\Program Files\\nodejs\\node.exe&quot; --flag"', // 5
    "        loggingEnabled = 'false'", // 6
    '        promoteServerVars="" />', // 7
    '    <handlers><add name="a" path="x.js"/><add name="b" path="y.js"/></handlers>', // 8
    '    <text>some text &amp; <![CDATA[ <cdata/> ]]></text>', // 9
    '  </system.webServer>', // 10
    '</configuration>', // 11
  ].join('\n');

  test('elements in document order, with their lines and columns; comments, text and CDATA are dropped', () => {
    const r = root(parseXml(text));
    assert.equal(r.name, 'configuration');
    assert.deepEqual([r.line, r.column], [2, 1]);
    const server = r.children[0]!;
    assert.equal(r.children.length, 1);
    assert.equal(server.name, 'system.webServer');
    assert.deepEqual([server.line, server.column], [4, 3]);
    assert.deepEqual(server.children.map((c) => c.name), ['iisnode', 'handlers', 'text']);
    const text9 = server.children[2]!;
    assert.deepEqual(text9.children, []);
    const handlers = childrenNamed(server, 'handlers')[0]!;
    assert.deepEqual(handlers.children.map((c) => attribute(c, 'name')?.value), ['a', 'b']);
    assert.deepEqual(handlers.children.map((c) => c.column), [15, 42]);
  });

  test('attribute values are entity-decoded, kept as strings, and carry their own line and column', () => {
    const iisnode = root(parseXml(text)).children[0]!.children[0]!;
    assert.deepEqual(
      iisnode.attributes.map((a) => [a.name, a.value, a.line, a.column]),
      [
        ['nodeProcessCommandLine', '"C:\\Program Files\\nodejs\\node.exe" --flag', 5, 14],
        ['loggingEnabled', 'false', 6, 9],
        ['promoteServerVars', '', 7, 9],
      ],
    );
    assert.equal(typeof attribute(iisnode, 'loggingEnabled')!.value, 'string');
  });

  test('numbers and booleans stay text (no guessing of types)', () => {
    const r = root(parseXml('<configuration><iisnode a="0012" b="true" c="1e3"/></configuration>'));
    assert.deepEqual(r.children[0]!.attributes.map((a) => a.value), ['0012', 'true', '1e3']);
  });

  test('attribute lookups are exact (IIS configuration names are case-sensitive)', () => {
    const el = root(parseXml('<configuration Enabled="x"/>'));
    assert.equal(attribute(el, 'enabled'), undefined);
    assert.equal(attribute(el, 'Enabled')!.value, 'x');
  });

  test('a byte order mark before the text is ignored and does not shift columns', () => {
    const r = root(parseXml('\uFEFF<configuration>\n <a x="1"/></configuration>'));
    assert.deepEqual([r.line, r.column], [1, 1]);
    assert.deepEqual([r.children[0]!.attributes[0]!.line, r.children[0]!.attributes[0]!.column], [2, 5]);
  });

  test('CRLF line ends count as one line each', () => {
    const r = root(parseXml('<configuration>\r\n\r\n  <a/>\r\n</configuration>'));
    assert.deepEqual([r.children[0]!.line, r.children[0]!.column], [3, 3]);
  });
});

describe('parseXml: malformed files report the parser\'s line and column', () => {
  test('an element closed by the wrong tag', () => {
    const e = failure(parseXml('<configuration>\n  <system.webServer>\n    <handlers>\n  </system.webServer>\n</configuration>'));
    assert.match(e.message, /closing tag 'handlers'/);
    assert.deepEqual([e.line, e.column], [4, 3]);
  });

  test('an unclosed root', () => {
    const e = failure(parseXml('<configuration>\n  <a/>\n'));
    assert.match(e.message, /Unclosed tag 'configuration'/);
    assert.equal(e.line, 1);
  });

  test('an attribute without quotes, and a repeated attribute', () => {
    assert.equal(failure(parseXml('<configuration>\n  <iisnode a=1 />\n</configuration>')).line, 2);
    const repeated = failure(parseXml('<configuration>\n\n  <iisnode a="1" a="2"/>\n</configuration>'));
    assert.match(repeated.message, /repeated/);
    assert.equal(repeated.line, 3);
  });

  test('an open quote', () => {
    const e = failure(parseXml('<configuration>\n <iisnode a="1>\n</configuration>'));
    assert.match(e.message, /open quote/);
    assert.equal(e.line, 2);
  });

  test('an empty file, a file of text, and a file with two roots', () => {
    assert.match(failure(parseXml('')).message, /empty/);
    assert.match(failure(parseXml('  \n ')).message, /empty/);
    assert.equal(failure(parseXml('just text')).line, 1);
    const two = failure(parseXml('<configuration/>\n\n  <other/>'));
    assert.match(two.message, /Only one root element/);
    assert.deepEqual([two.line, two.column], [3, 3]);
  });

  test('names that would pollute prototypes are refused, not thrown', () => {
    const r = parseXml('<configuration><a __proto__="x"/></configuration>');
    assert.equal(r.ok, false);
  });
});

describe('decodeXmlBytes', () => {
  test('UTF-8 with and without a byte order mark', () => {
    assert.equal(decodeXmlBytes(Buffer.from('\uFEFF<c a="é"/>', 'utf8')), '<c a="é"/>');
    assert.equal(decodeXmlBytes(Buffer.from('<c a="é"/>', 'utf8')), '<c a="é"/>');
  });

  test('UTF-16 little and big endian with their byte order marks', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<c a="é"/>', 'utf16le')]);
    assert.equal(decodeXmlBytes(le), '<c a="é"/>');
    const be = Buffer.from(Buffer.from('<c a="é"/>', 'utf16le'));
    be.swap16();
    assert.equal(decodeXmlBytes(Buffer.concat([Buffer.from([0xfe, 0xff]), be])), '<c a="é"/>');
  });
});

describe('attributeOffsets and LineIndex', () => {
  test('finds names after spaces, newlines and tabs, skipping quoted values that contain > and =', () => {
    const tag = '<add a="x>y=z"\n\tb = \'q\'   c="" />';
    const offsets = attributeOffsets(tag, 0);
    assert.deepEqual([...offsets.entries()], [
      ['a', 5],
      ['b', 16],
      ['c', 26],
    ]);
  });

  test('a tag without attributes, and a self-closing one', () => {
    assert.equal(attributeOffsets('<a>', 0).size, 0);
    assert.equal(attributeOffsets('<a/>', 0).size, 0);
  });

  test('LineIndex turns offsets into 1-based lines and columns', () => {
    const index = new LineIndex('ab\ncd\n\nef');
    assert.deepEqual(index.position(0), { line: 1, column: 1 });
    assert.deepEqual(index.position(2), { line: 1, column: 3 });
    assert.deepEqual(index.position(3), { line: 2, column: 1 });
    assert.deepEqual(index.position(6), { line: 3, column: 1 });
    assert.deepEqual(index.position(8), { line: 4, column: 2 });
  });
});
