// A small glob compiler for `watchedFiles` entries, over forward-slash paths relative to the app folder. Node's
// `path.matchesGlob` is still experimental and its rules differ between versions, so Berth keeps its own:
//
// - `*` matches any run of characters within one path segment (including a leading dot: iisnode's Windows
//   wildcards matched dot files too), `?` exactly one character within a segment;
// - a segment that is exactly `**` matches zero or more whole folders (`lib/**/*.js`, `**/*.json`), and at the end
//   of a pattern everything below (`lib/**`);
// - every other character is literal: iisnode had no `[...]` or `{a,b}`, and file names may contain brackets.

/** One segment of a compiled pattern. */
export type Segment =
  | { kind: 'globstar' }
  /** `literal` is the segment's text when it has no wildcard (used to tell whether a pattern names a folder). */
  | { kind: 'name'; re: RegExp; literal: string | null };

export interface CompiledGlob {
  /** The pattern as given (after separator normalisation), for messages. */
  source: string;
  segments: Segment[];
  /** Tests a whole relative path. */
  whole: RegExp;
}

const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** A segment's wildcards as a RegExp body (without anchors). `**` inside a longer segment acts as `*`. */
function segmentBody(segment: string): string {
  let body = '';
  for (const ch of segment) {
    if (ch === '*') body += body.endsWith('[^/]*') ? '' : '[^/]*';
    else if (ch === '?') body += '[^/]';
    else body += escapeRegExp(ch);
  }
  return body;
}

/**
 * Compiles a forward-slash glob. `caseInsensitive` follows the file system's rules (Windows and macOS fold case).
 * The caller has already removed empty and `.` segments.
 */
export function compileGlob(source: string, caseInsensitive: boolean): CompiledGlob {
  const flags = caseInsensitive ? 'i' : '';
  // Consecutive globstars mean the same as one, and would only make the expression backtrack more.
  const parts = source.split('/').filter((part, i, all) => !(part === '**' && all[i - 1] === '**'));
  const segments: Segment[] = parts.map((part) =>
    part === '**'
      ? { kind: 'globstar' }
      : { kind: 'name', re: new RegExp(`^${segmentBody(part)}$`, flags), literal: /[*?]/.test(part) ? null : part },
  );
  // Build the whole-path expression: a globstar followed by more segments absorbs `dir/` groups; a trailing one
  // absorbs everything left (at least one segment, so `lib/**` does not match the folder `lib` itself).
  let body = '';
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') body += last ? '[^/].*' : '(?:[^/]+/)*';
    else body += segmentBody(part) + (last ? '' : '/');
  });
  return { source, segments, whole: new RegExp(`^${body}$`, flags) };
}

/**
 * True when a folder (its segments, relative to the app folder) could hold a file that the glob matches, so it must
 * be watched. A globstar reached before any mismatch can absorb the rest, so no backtracking is needed.
 */
export function globMayEnter(glob: CompiledGlob, dirSegments: readonly string[]): boolean {
  const { segments } = glob;
  for (let i = 0; i < dirSegments.length; i++) {
    const segment = segments[i];
    // The glob's last segment names files (or, as `**`, anything): a folder deeper than the glob's folders
    // cannot hold a match unless a globstar came first.
    if (!segment) return false;
    if (segment.kind === 'globstar') return true;
    if (i === segments.length - 1) return false;
    if (!segment.re.test(dirSegments[i]!)) return false;
  }
  return true;
}
