/**
 * XML for web.config: a small element tree with the line and column of every element and attribute, built on
 * fast-xml-parser (the only module that imports it). The validator runs first, so a malformed file is reported with
 * the parser's own line and column; the tree is then built from the parser's ordered output, whose metadata gives
 * each element's offset in the text.
 *
 * Only elements and attributes matter in a web.config: text, comments, CDATA and processing instructions are
 * dropped. Entities (`&quot;`, `&amp;`, character references) are decoded in attribute values.
 */
import { createRequire } from 'node:module';
import type { XMLParser as XMLParserType } from 'fast-xml-parser';

/**
 * fast-xml-parser is loaded at the first web.config parsed (its CommonJS build, so parsing stays synchronous): an
 * engine with no IIS site never holds it.
 */
let loaded: { META: symbol; parser: XMLParserType; validate: typeof import('fast-xml-parser').XMLValidator.validate } | undefined;
function xmlLibrary(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const { XMLParser, XMLValidator } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    captureMetaData: true,
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    allowBooleanAttributes: false,
    removeNSPrefix: false,
  });
  loaded = { META: XMLParser.getMetaDataSymbol() as unknown as symbol, parser, validate: (text, options) => XMLValidator.validate(text, options) };
  return loaded;
}

export interface XmlPosition {
  /** Offset of the first character (the `<` of an element, the first letter of an attribute's name). */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
}

export interface XmlAttribute extends XmlPosition {
  name: string;
  value: string;
}

export interface XmlElement extends XmlPosition {
  name: string;
  /** In document order. */
  attributes: XmlAttribute[];
  /** Child elements in document order. */
  children: XmlElement[];
}

export interface XmlError {
  message: string;
  line: number;
  column: number;
}

export type XmlResult = { ok: true; root: XmlElement } | { ok: false; error: XmlError };

/**
 * Decodes a configuration file's bytes as IIS does: a UTF-8 or UTF-16 byte order mark decides, UTF-8 otherwise.
 * The byte order mark itself is dropped, so offsets, lines and columns count from the first real character.
 */
export function decodeXmlBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return stripBom(new TextDecoder('utf-8').decode(bytes));
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Offsets of line starts, for turning an offset into a line and column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, unknown> };

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/**
 * Where each attribute's name starts in the start tag at `start` (its `<`). The parser has already accepted the
 * tag, so this only walks names and quoted values to find offsets; values come from the parser.
 */
export function attributeOffsets(text: string, start: number): Map<string, number> {
  const found = new Map<string, number>();
  let i = start + 1;
  while (i < text.length && !isSpace(text[i]) && text[i] !== '/' && text[i] !== '>') i++;
  while (i < text.length) {
    while (isSpace(text[i])) i++;
    const c = text[i];
    if (c === undefined || c === '>' || c === '/' || c === '?') break;
    const nameStart = i;
    while (i < text.length && !isSpace(text[i]) && text[i] !== '=' && text[i] !== '/' && text[i] !== '>') i++;
    if (i === nameStart) {
      i++; // a stray character: step over it rather than loop
      continue;
    }
    const name = text.slice(nameStart, i);
    if (!found.has(name)) found.set(name, nameStart);
    while (isSpace(text[i])) i++;
    if (text[i] !== '=') continue;
    i++;
    while (isSpace(text[i])) i++;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      const end = text.indexOf(quote, i + 1);
      if (end < 0) break;
      i = end + 1;
    } else {
      while (i < text.length && !isSpace(text[i]) && text[i] !== '>') i++;
    }
  }
  return found;
}

function elementName(node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key === ':@' || key.startsWith('#') || key.startsWith('?') || key.startsWith('!')) continue;
    return key;
  }
  return undefined;
}

/**
 * Parses XML text (already decoded, see decodeXmlBytes) into the tree of its single root element, or the first
 * problem with its line and column. Never throws.
 */
export function parseXml(input: string): XmlResult {
  const text = stripBom(input);
  const lines = new LineIndex(text);
  if (text.trim() === '') return { ok: false, error: { message: 'The file is empty; it must contain a <configuration> element', line: 1, column: 1 } };
  const { META, parser, validate } = xmlLibrary();
  const verdict = validate(text, { allowBooleanAttributes: false });
  if (verdict !== true) {
    return { ok: false, error: { message: verdict.err.msg.replace(/\.$/, ''), line: verdict.err.line || 1, column: verdict.err.col || 1 } };
  }
  let ordered: OrderedNode[];
  try {
    ordered = parser.parse(text) as OrderedNode[];
  } catch (error) {
    return { ok: false, error: { message: firstLine(error instanceof Error ? error.message : String(error)), line: 1, column: 1 } };
  }
  const build = (node: OrderedNode, name: string): XmlElement => {
    const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
    const offset = meta?.startIndex ?? 0;
    const offsets = attributeOffsets(text, offset);
    const attributes: XmlAttribute[] = [];
    for (const [attrName, raw] of Object.entries(node[':@'] ?? {})) {
      const at = offsets.get(attrName) ?? offset;
      attributes.push({ name: attrName, value: raw === undefined || raw === null ? '' : String(raw), offset: at, ...lines.position(at) });
    }
    const children: XmlElement[] = [];
    const content = node[name];
    if (Array.isArray(content)) {
      for (const child of content as OrderedNode[]) {
        const childName = elementName(child);
        if (childName !== undefined) children.push(build(child, childName));
      }
    }
    return { name, attributes, children, offset, ...lines.position(offset) };
  };
  const roots: XmlElement[] = [];
  for (const node of ordered) {
    const name = elementName(node);
    if (name !== undefined) roots.push(build(node, name));
  }
  if (roots.length === 0) return { ok: false, error: { message: 'The file has no root element; it must contain a <configuration> element', line: 1, column: 1 } };
  if (roots.length > 1) {
    const extra = roots[1]!;
    return { ok: false, error: { message: `Only one root element is allowed, but <${extra.name}> follows <${roots[0]!.name}>`, line: extra.line, column: extra.column } };
  }
  return { ok: true, root: roots[0]! };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim().replace(/\.$/, '');
}

/** The attribute of that name (exact, as IIS configuration names are case-sensitive). */
export function attribute(element: XmlElement, name: string): XmlAttribute | undefined {
  return element.attributes.find((a) => a.name === name);
}

/** The child elements of that name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
