// Section 7: a month of alert history for 1,000 targets and 20 alert rules, replayed by the backtest
// (src/backtest/replay.ts) through the real matching and policy gate. The occurrences are made in
// memory (Prometheus is not what is measured); the baseline is matching alone over the same history.
//
//   node bench/backtest.ts [--scale=0.1]   one run, printed (scale 0.1: 100 targets, 3 days)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labelsFingerprint } from '../src/backtest/fingerprint.ts';
import type { Occurrence } from '../src/backtest/history.ts';
import { replay } from '../src/backtest/replay.ts';
import { loadRunbooks } from '../src/config/runbooks.ts';
import { readSettings } from '../src/config/settings.ts';
import { planRuns } from '../src/ingest/plan.ts';
import { buildRunbookIndex } from '../src/match/select.ts';
import type { Row } from './table.ts';

const RULES = 20;
const DAY = 86_400_000;
const MIN = 60_000;

export interface BacktestBenchSize {
  readonly targets: number;
  readonly days: number;
}

export const FULL: BacktestBenchSize = { targets: 1000, days: 30 };

/** mulberry32: the same history on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The history: every (target, rule) fires about once in five days, for 1 to 30 minutes; once a day one
 * rule fires on every target at once for 20 minutes (a storm); a tenth of the alerts never resolve.
 */
export function makeHistory(size: BacktestBenchSize, from: number): Occurrence[] {
  const rnd = random(42);
  const out: Occurrence[] = [];
  const add = (target: number, rule: number, start: number, minutes: number | undefined) => {
    const labels = {
      alertname: `Rule${rule}`,
      instance: `host-${target}:9100`,
      service: `svc-${target % 10}`,
    };
    const o = { labels, fingerprint: labelsFingerprint(labels), startsAt: Math.round(start / MIN) * MIN };
    out.push(minutes === undefined ? o : { ...o, endsAt: o.startsAt + minutes * MIN });
  };
  const span = size.days * DAY;
  for (let target = 0; target < size.targets; target++)
    for (let rule = 0; rule < RULES; rule++)
      for (let n = Math.round((rnd() * 2 * size.days) / 5); n > 0; n--)
        add(target, rule, from + rnd() * span, rnd() < 0.1 ? undefined : 1 + Math.floor(rnd() * 30));
  for (let day = 0; day < size.days; day++) {
    const rule = Math.floor(rnd() * RULES);
    const start = from + day * DAY + rnd() * (DAY - 30 * MIN);
    for (let target = 0; target < size.targets; target++) add(target, rule, start, 20);
  }
  return out.sort((a, b) => a.startsAt - b.startsAt);
}

async function runbooksDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-bench-backtest-'));
  for (let rule = 0; rule < RULES; rule++) {
    await writeFile(
      join(dir, `rule-${rule}.yaml`),
      [
        `name: fix-rule-${rule}`,
        'description: bench',
        `match: ['alertname = "Rule${rule}"']`,
        "target: '{{labels.instance}}'",
        'steps:',
        '  - name: fix',
        '    ssh: { command: [fix], timeout: 30s }',
        '    verify: { alertResolved: 5m }',
        '',
      ].join('\n'),
    );
  }
  return dir;
}

export async function measureBacktest(size: BacktestBenchSize): Promise<{ row: Row[]; text: string }> {
  const from = Date.parse('2026-11-01T00:00:00Z');
  const dir = await runbooksDir();
  try {
    const runbooks = await loadRunbooks([dir]);
    const occurrences = makeHistory(size, from);
    const settings = readSettings({ REMEDIATOR_RUNBOOKS_DIR: dir });
    const matchStart = performance.now();
    const index = buildRunbookIndex(runbooks);
    let planned = 0;
    for (const o of occurrences) planned += planRuns([alertOf(o)], index).length;
    const matchSeconds = (performance.now() - matchStart) / 1000;
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const result = await replay(occurrences, {
      runbooks,
      settings,
      outcome: 'history',
      from,
      to: from + size.days * DAY,
    });
    const seconds = (performance.now() - started) / 1000;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const t = result.totals;
    const stopped = Object.entries(t.stopped)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const label = `${size.days} days, ${size.targets.toLocaleString('en-US')} targets × ${RULES} rules`;
    const note =
      `${occurrences.length.toLocaleString('en-US')} occurrences (${planned.toLocaleString('en-US')} runs planned); ` +
      `${t.started} started (${t.succeeded} succeeded, ${t.failed} failed), stopped: ${stopped}; ` +
      `heap growth during the replay ${heapMb.toFixed(0)} MB. Baseline: planRuns over the same occurrences, no policy.`;
    const full = size.targets >= FULL.targets && size.days >= FULL.days;
    const row: Row = {
      section: '7',
      measure: `${label}: replay`,
      value: seconds,
      baseline: matchSeconds,
      unit: 's',
      ...(full ? { target: { text: '< 60 s', met: seconds < 60 } } : {}),
      note,
    };
    return {
      row: [row],
      text: `${label}: replay ${seconds.toFixed(1)} s, matching alone ${matchSeconds.toFixed(2)} s; ${note}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function alertOf(o: Occurrence) {
  return {
    status: 'firing' as const,
    labels: o.labels,
    annotations: {},
    startsAt: new Date(o.startsAt).toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: o.fingerprint,
  };
}

/** The bench suite's step (section 7). */
export async function benchBacktest(): Promise<Row[]> {
  return (await measureBacktest(FULL)).row;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' } } });
  const scale = Number(values.scale);
  const size = {
    targets: Math.round(FULL.targets * scale),
    days: Math.max(1, Math.round(FULL.days * scale)),
  };
  process.stdout.write(`${(await measureBacktest(size)).text}\n`);
}
