/** The final table (a Markdown table, readable in a terminal and pasteable into docs/PERFORMANCE.md). */
import { formatMs, formatNumber, type Figure, type ScenarioResult } from './scenario.js';

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–';
  if (unit === 'ms') return `${formatMs(value)} ms`;
  return `${formatNumber(value)} ${unit}`;
}

function formatComparison(f: Figure): string {
  if (f.show === 'added') {
    if (!Number.isFinite(f.added)) return '–';
    return `${f.added >= 0 ? '+' : '−'}${f.unit === 'ms' ? formatMs(Math.abs(f.added)) : formatNumber(Math.abs(f.added))} ${f.unit}`;
  }
  return Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}×` : '–';
}

export function renderTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'compared with', 'figure', 'reference', 'Berth', 'Berth vs reference', 'target', 'met'];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const result of results) {
    for (const f of result.figures) {
      rows.push([
        result.name,
        result.referenceLabel,
        f.name,
        formatValue(f.reference, f.unit),
        formatValue(f.berth, f.unit),
        formatComparison(f),
        f.target?.text ?? '',
        f.target ? (f.target.met ? 'yes' : 'no') : '',
      ]);
    }
    if (result.unavailable) {
      rows.push([result.name, result.referenceLabel, result.unavailable.label, '', '', '', '', '']);
      notes.push(`${result.name}: ${result.unavailable.label}: ${result.unavailable.detail}`);
    }
    if (result.error) {
      rows.push([result.name, result.referenceLabel, 'could not run (see below)', '', '', '', '', '']);
      notes.push(`${result.name}: ${result.error}`);
    }
    for (const side of ['reference', 'berth'] as const) {
      const errors = result.samples[side].reduce((sum, m) => sum + (m.errors ?? 0), 0);
      if (errors > 0) {
        const who = side === 'berth' ? 'Berth' : result.referenceLabel;
        notes.push(`${result.name}: ${who} had ${errors.toLocaleString('en-US')} failed requests (socket errors or non-2xx responses) over all rounds; its figures are suspect.`);
      }
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
  return notes.length ? `${table}\n\n${notes.map((n) => `Note: ${n}`).join('\n')}` : table;
}
