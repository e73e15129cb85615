import { readFile, writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';

export type Unit = 'per_s' | 'ms' | 'us' | 'MB' | 'count' | 's';

/** One measured figure with its baseline from the same run. */
export interface Row {
  readonly section: string;
  readonly measure: string;
  readonly value: number;
  readonly baseline: number;
  readonly unit: Unit;
  /** Set when the issue gives this figure a target. */
  readonly target?: { readonly text: string; readonly met: boolean };
  /** Shown under the table, keyed by the measure. */
  readonly note?: string;
}

/** A section's heading in the table and what its baseline is. */
export interface Section {
  readonly id: string;
  readonly title: string;
  readonly baseline: string;
}

const UNIT_TEXT: Record<Unit, string> = { per_s: '/s', ms: 'ms', us: 'µs', MB: 'MB', count: '', s: 's' };

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'n/a' : '∞';
  const digits =
    unit === 'count' || unit === 'per_s' ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  const suffix = UNIT_TEXT[unit];
  return suffix === '' ? text : suffix === '/s' ? `${text}/s` : `${text} ${suffix}`;
}

function ratio(row: Row): string {
  if (!Number.isFinite(row.value) || !Number.isFinite(row.baseline) || row.baseline === 0) return 'n/a';
  const r = row.value / row.baseline;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** The results as one Markdown table, sections in order, notes and baselines listed below it. */
export function renderTable(sections: readonly Section[], rows: readonly Row[]): string {
  const lines = [
    '| # | measure | remediator | baseline | ratio | target |',
    '| - | ------- | ---------: | -------: | ----: | ------ |',
  ];
  const notes: string[] = [];
  for (const section of sections) {
    const own = rows.filter((r) => r.section === section.id);
    if (own.length === 0) continue;
    lines.push(`| **${section.id}** | **${section.title}** | | | | |`);
    for (const r of own) {
      const target = r.target ? `${r.target.met ? '✅' : '❌'} ${r.target.text}` : '';
      lines.push(
        `| ${section.id} | ${r.measure} | ${formatValue(r.value, r.unit)} | ${formatValue(r.baseline, r.unit)} | ${ratio(r)} | ${target} |`,
      );
      if (r.note) notes.push(`- ${section.id}, ${r.measure}: ${r.note}`);
    }
  }
  const baselines = sections
    .filter((s) => rows.some((r) => r.section === s.id))
    .map((s) => `- ${s.id} ${s.title}: ${s.baseline}`);
  return [
    lines.join('\n'),
    '',
    'Baselines (measured in the same run, the same way):',
    '',
    ...baselines,
    '',
    'Notes:',
    '',
    ...notes,
  ].join('\n');
}

const START = '<!-- bench:start (written by `npm run bench`; edit the reading below, not this part) -->';
const END = '<!-- bench:end -->';

/**
 * Puts the latest results between the markers of docs/benchmarks.md, keeping everything else (the
 * reading of the results) as it is; creates the file when missing.
 */
export async function writeResults(file: string, generated: string): Promise<void> {
  const block = `${START}\n\n${generated.trim()}\n\n${END}`;
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  let text: string;
  if (existing !== undefined && existing.includes(START) && existing.includes(END)) {
    text =
      existing.slice(0, existing.indexOf(START)) + block + existing.slice(existing.indexOf(END) + END.length);
  } else {
    text = `# Benchmarks\n\n${block}\n\n## Reading\n\n(to be written after a run)\n`;
  }
  // Formatted as `npm run format` would, so `npm run check` stays green after a bench run.
  const options = (await resolveConfig(file)) ?? {};
  await writeFile(file, await format(text, { ...options, filepath: file }));
}
