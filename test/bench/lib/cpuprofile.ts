/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and sums the sampled time by function: self time (where the sample was
 * taken) and inclusive time (the function was anywhere on the stack, counted once per sample).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  /** "name file:line", files relative to the repository, node's own as node:... */
  name: string;
  /** Milliseconds. */
  selfMs: number;
  inclusiveMs: number;
}

export interface ProfileSummary {
  /** Milliseconds sampled in all. */
  totalMs: number;
  /** Waiting for events: the event loop had nothing to run (this also holds time spent in libuv's reads). */
  idleMs: number;
  /** Everything else: JavaScript, native code called from it (socket writes), GC. */
  busyMs: number;
  /** By self time, largest first; (idle) and (root) left out. */
  functions: FunctionTime[];
}

const sourceMaps = new Map<string, SourceMap | null>();

/** Where a compiled line of dist/ comes from (core/....ts:line), through tsc's source map; undefined if unknown. */
function originalPosition(url: string, line: number, column: number): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const file = fileURLToPath(url);
  if (!sourceMaps.has(file)) {
    try {
      sourceMaps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
    } catch {
      sourceMaps.set(file, null);
    }
  }
  const origin = sourceMaps.get(file)?.findOrigin(line + 1, column + 1);
  if (!origin || !('fileName' in origin)) return undefined;
  return `${path.relative(REPO, path.resolve(path.dirname(file), origin.fileName)).replaceAll('\\', '/')}:${origin.lineNumber}`;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  const where =
    originalPosition(url, lineNumber, columnNumber) ??
    (url ? `${url.startsWith('file:') ? path.relative(REPO, fileURLToPath(url)).replaceAll('\\', '/') : url}:${lineNumber + 1}` : '');
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

export async function summarizeCpuProfile(file: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfById = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    selfById.set(id, (selfById.get(id) ?? 0) + dt);
  });

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of selfById) {
    const name = label(byId.get(id)!);
    self.set(name, (self.get(name) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = label(byId.get(at)!);
      if (seen.has(frame)) continue; // recursion: once per sample
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + time);
    }
  }
  const idle = self.get('(idle)') ?? 0;
  const functions = [...inclusive.keys()]
    .filter((name) => name !== '(idle)' && name !== '(root)')
    .map((name) => ({ name, selfMs: (self.get(name) ?? 0) / 1000, inclusiveMs: inclusive.get(name)! / 1000 }))
    .sort((a, b) => b.selfMs - a.selfMs || b.inclusiveMs - a.inclusiveMs);
  return { totalMs: total / 1000, idleMs: idle / 1000, busyMs: (total - idle) / 1000, functions };
}
