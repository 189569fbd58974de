import { describe, expect, it } from 'vitest';
import { parseAnsi, stripAnsi } from '../src/util/ansi.js';
import { variableWindow, wrappedRows } from '../src/util/virtual.js';

describe('ANSI colours', () => {
  it('turn into styled spans; other escapes are dropped; plain text is one span', () => {
    // NestJS: green "[Nest]", yellow context, reset.
    const line = '\x1b[32m[Nest] 42  - \x1b[39m\x1b[33m[RoutesResolver]\x1b[39m \x1b[1mbold\x1b[22m done\x1b[2K';
    const spans = parseAnsi(line);
    expect(spans.map((s) => s.text).join('')).toBe('[Nest] 42  - [RoutesResolver] bold done');
    expect(spans[0]).toMatchObject({ text: '[Nest] 42  - ', fg: '#16a34a' });
    expect(spans[1]).toMatchObject({ text: '[RoutesResolver]', fg: '#ca8a04' });
    expect(spans.find((s) => s.text === 'bold')).toMatchObject({ bold: true });
    expect(spans.at(-1)).toEqual({ text: ' done' });
    expect(parseAnsi('plain')).toEqual([{ text: 'plain' }]);
    expect(parseAnsi('\x1b[38;5;196mred\x1b[0m \x1b[48;2;1;2;3mbg')).toEqual([
      { text: 'red', fg: 'rgb(255,0,0)' },
      { text: ' ' },
      { text: 'bg', bg: 'rgb(1,2,3)' },
    ]);
    expect(stripAnsi('\x1b[31merror\x1b[0m: \x1b]0;title\x07x')).toBe('error: x');
  });
});

describe('variable-height rows', () => {
  it('finds the rows on screen by their tops', () => {
    // Rows of 20, 60, 20, 20 px.
    const tops = [0, 20, 80, 100, 120];
    expect(variableWindow(tops, 0, 30, 0)).toEqual({ start: 0, end: 2, offsetTop: 0, totalHeight: 120 });
    expect(variableWindow(tops, 85, 20, 0)).toEqual({ start: 2, end: 4, offsetTop: 80, totalHeight: 120 });
    expect(variableWindow(tops, 85, 10, 0)).toEqual({ start: 2, end: 3, offsetTop: 80, totalHeight: 120 });
    expect(variableWindow([0], 0, 100)).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
    expect(wrappedRows(0, 80)).toBe(1);
    expect(wrappedRows(161, 80)).toBe(3);
    expect(wrappedRows(500, 0)).toBe(1);
  });
});
