/**
 * Limits that keep a settings file from stalling the engine (issue 16): a size cap checked before anything is
 * parsed, and a cheap scan for nesting deeper than any settings file needs, so that the YAML and XML parsers (both
 * recursive) never meet input that would exhaust the stack ("Maximum call stack size exceeded").
 */
import { stat } from 'node:fs/promises';
import type { ConfigIssue } from './issues.js';

/** berth.yml, iisnode.yml and web.config are a few KB; 256 KB is far beyond any real one. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

/** Settings files are flat (web.config a handful of levels); 64 levels is far beyond any real one. */
export const MAX_CONFIG_NESTING = 64;

/** The error for a file over the size limit, or undefined when it is within it (or missing: the caller says so). */
export async function oversizeIssue(file: string): Promise<ConfigIssue | undefined> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return undefined;
    size = info.size;
  } catch {
    return undefined;
  }
  return size > MAX_CONFIG_FILE_BYTES ? sizeIssue(file, size) : undefined;
}

export function sizeIssue(file: string, size: number): ConfigIssue {
  return {
    severity: 'error',
    file,
    message: `is ${Math.ceil(size / 1024)} KB, over the ${MAX_CONFIG_FILE_BYTES / 1024} KB limit for settings files, so it was not read.`,
    fix: 'A settings file holds a few `key: value` lines (web.config a few elements): check that this is the right file.',
  };
}

function nestingIssue(file: string, line: number): ConfigIssue {
  return {
    severity: 'error',
    file,
    line,
    message: `nests deeper than ${MAX_CONFIG_NESTING} levels, the limit for settings files, so it was not read.`,
    fix: 'Settings are flat `key: value` lines: check the brackets (or elements) on this line.',
  };
}

/**
 * The first line where YAML nests deeper than the limit: flow brackets (`[`, `{`) still open, plus compact block
 * indicators at a line's start (`- - - x`). Quoted text and comments are skipped. An approximation that errs on
 * the side of letting the parser decide: it only has to catch what no settings file has.
 */
export function deepYamlNesting(file: string, text: string): ConfigIssue | undefined {
  let depth = 0;
  let line = 1;
  let quote = 0;
  let lineStart = true;
  let compact = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      quote = 0;
      lineStart = true;
      compact = 0;
      continue;
    }
    if (quote !== 0) {
      if (c === quote) quote = 0;
      continue;
    }
    if (lineStart) {
      if (c === 32 || c === 9) continue;
      // `- `, `? ` and `: ` at a line's start each open a block level on the same line.
      if ((c === 45 || c === 63 || c === 58) && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9)) {
        if (++compact > MAX_CONFIG_NESTING) return nestingIssue(file, line);
        i++;
        continue;
      }
      lineStart = false;
    }
    if (c === 34 || c === 39) quote = c;
    else if (c === 35 && (i === 0 || text.charCodeAt(i - 1) <= 32)) {
      const end = text.indexOf('\n', i);
      if (end === -1) break;
      i = end - 1; // the newline itself is handled by the next turn
    } else if (c === 91 || c === 123) {
      if (++depth + compact > MAX_CONFIG_NESTING) return nestingIssue(file, line);
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}

/** The first line where XML elements nest deeper than the limit. Comments, CDATA and declarations are skipped. */
export function deepXmlNesting(file: string, text: string): ConfigIssue | undefined {
  let depth = 0;
  let line = 1;
  let i = 0;
  const newlinesUpTo = (end: number) => {
    for (; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  };
  for (;;) {
    const open = text.indexOf('<', i);
    if (open === -1) return undefined;
    newlinesUpTo(open);
    const next = text.charCodeAt(open + 1);
    if (next === 33 /* ! */ || next === 63 /* ? */) {
      // <!-- ... -->, <![CDATA[ ... ]]>, <!DOCTYPE ...>, <?xml ...?>
      const closer = text.startsWith('<!--', open) ? '-->' : text.startsWith('<![CDATA[', open) ? ']]>' : '>';
      const end = text.indexOf(closer, open + 2);
      if (end === -1) return undefined;
      newlinesUpTo(end);
      continue;
    }
    const end = text.indexOf('>', open + 1);
    if (end === -1) return undefined;
    if (next === 47 /* / */) depth = Math.max(0, depth - 1);
    else if (text.charCodeAt(end - 1) !== 47 && ++depth > MAX_CONFIG_NESTING) return nestingIssue(file, line);
    newlinesUpTo(end);
  }
}
