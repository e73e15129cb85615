// 4. Matching at scale, in a child process of its own (--expose-gc) so heap figures are clean.
import { forkChild } from './lib/child.ts';
import type { BenchContext } from './lib/context.ts';
import { MB } from './lib/stats.ts';
import type { MatchingResult } from './matching-child.ts';
import type { Row } from './table.ts';

const SIZES = [10, 1_000, 10_000];
const TARGET_US = 20;

export async function benchMatching(ctx: BenchContext): Promise<Row[]> {
  const child = await forkChild(new URL('./matching-child.ts', import.meta.url), [], ['--expose-gc']);
  const results: MatchingResult[] = [];
  try {
    for (const size of SIZES) {
      ctx.log(`matching: ${size} runbooks`);
      const r = await child.call<MatchingResult>('measure', size);
      ctx.log(
        `  select ${r.hitUs.toFixed(2)} µs (hit), ${r.missUs.toFixed(2)} µs (miss); loaded in ${r.loadMs.toFixed(0)} ms`,
      );
      results.push(r);
    }
  } finally {
    await child.stop();
  }
  const rows: Row[] = [];
  for (const r of results) {
    const n = r.size.toLocaleString('en-US');
    const target = r.size === 10_000;
    rows.push(
      {
        section: '4',
        measure: `${n} runbooks, alert with runbooks`,
        value: r.hitUs,
        baseline: r.linearHitUs,
        unit: 'us',
        ...(target ? { target: { text: `< ${TARGET_US} µs`, met: r.hitUs < TARGET_US } } : {}),
        note: `mean; p99 ${r.hitP99Us.toFixed(2)} µs; ${r.matchedHit} runbooks selected.`,
      },
      {
        section: '4',
        measure: `${n} runbooks, alert without runbook`,
        value: r.missUs,
        baseline: r.linearMissUs,
        unit: 'us',
        ...(target ? { target: { text: `< ${TARGET_US} µs`, met: r.missUs < TARGET_US } } : {}),
        note: `mean; p99 ${r.missP99Us.toFixed(2)} µs.`,
      },
      {
        section: '4',
        measure: `${n} runbooks, heap when loaded`,
        value: r.heapBytes / MB,
        baseline: r.plainHeapBytes / MB,
        unit: 'MB',
        note: `${(r.heapBytes / r.size / 1000).toFixed(1)} kB per runbook; loading (read, parse, check, compile, index) took ${(r.loadMs / 1000).toFixed(2)} s.`,
      },
    );
  }
  return rows;
}
