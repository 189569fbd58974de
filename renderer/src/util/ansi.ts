/**
 * ANSI escape sequences in app output (NestJS, chalk, debug): colours and styles become styled spans; every other
 * control sequence is dropped. `stripAnsi` gives the plain text (search, copy, wrapping width).
 */

export interface AnsiSpan {
  text: string;
  /** CSS colours, when set. */
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

// CSI sequences (ESC [ ... final byte), OSC sequences (ESC ] ... BEL or ESC \), and two-character escapes.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const HAS_ESCAPE = /\x1b/;

/** The 16 basic colours (readable on the log view's light and dark backgrounds alike). */
const PALETTE = ['#4b5563', '#dc2626', '#16a34a', '#ca8a04', '#2563eb', '#c026d3', '#0891b2', '#9ca3af', '#6b7280', '#ef4444', '#22c55e', '#eab308', '#3b82f6', '#d946ef', '#06b6d4', '#e5e7eb'];

export function stripAnsi(text: string): string {
  return HAS_ESCAPE.test(text) ? text.replace(ESCAPES, '') : text;
}

function color256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 16) return PALETTE[n];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const level = (c: number) => (c === 0 ? 0 : 55 + c * 40);
  return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
}

type Style = Omit<AnsiSpan, 'text'>;

/** Applies one SGR sequence's parameters to the current style. */
function applySgr(style: Style, params: number[]): Style {
  const next = { ...style };
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p === 0) for (const key of Object.keys(next) as (keyof Style)[]) delete next[key];
    else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 3) next.italic = true;
    else if (p === 4) next.underline = true;
    else if (p === 22) {
      delete next.bold;
      delete next.dim;
    }
    else if (p === 23) delete next.italic;
    else if (p === 24) delete next.underline;
    else if (p >= 30 && p <= 37) next.fg = PALETTE[p - 30]!;
    else if (p >= 90 && p <= 97) next.fg = PALETTE[p - 90 + 8]!;
    else if (p === 39) delete next.fg;
    else if (p >= 40 && p <= 47) next.bg = PALETTE[p - 40]!;
    else if (p >= 100 && p <= 107) next.bg = PALETTE[p - 100 + 8]!;
    else if (p === 49) delete next.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      let value: string | undefined;
      if (params[i + 1] === 5) {
        value = color256(params[i + 2]!);
        i += 2;
      } else if (params[i + 1] === 2) {
        const [r, g, b] = params.slice(i + 2, i + 5);
        value = [r, g, b].every((c) => Number.isInteger(c) && c! >= 0 && c! <= 255) ? `rgb(${r},${g},${b})` : undefined;
        i += 4;
      }
      if (value) next[key] = value;
    }
  }
  return next;
}

/** The text as styled spans; a line without escapes is one plain span (the common case costs one test). */
export function parseAnsi(text: string): AnsiSpan[] {
  if (!HAS_ESCAPE.test(text)) return [{ text }];
  const spans: AnsiSpan[] = [];
  let style: Style = {};
  let at = 0;
  for (const match of text.matchAll(ESCAPES)) {
    if (match.index > at) spans.push({ text: text.slice(at, match.index), ...style });
    at = match.index + match[0].length;
    const sgr = /^\x1b\[([0-9;]*)m$/.exec(match[0]);
    if (sgr) style = applySgr(style, sgr[1] ? sgr[1].split(';').map((n) => (n === '' ? 0 : Number(n))) : [0]);
  }
  if (at < text.length) spans.push({ text: text.slice(at), ...style });
  return spans;
}
