import { describe, expect, it } from 'vitest';
import { readHistory } from '../../../src/backtest/history.ts';
import { runOutcome } from '../../../src/backtest/outcome-model.ts';
import type { Runbook } from '../../../src/types.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;

/** A Prometheus answering query_range with `timestamp()` values: each point the time of the sample it saw. */
function fakePrometheus(samples: number[], urls: string[] = []): typeof fetch {
  return (async (input: string | URL) => {
    const url = new URL(String(input));
    urls.push(url.search);
    const start = Number(url.searchParams.get('start')) * 1000;
    const end = Number(url.searchParams.get('end')) * 1000;
    const values: Array<[number, string]> = [];
    for (let t = start; t <= end; t += MIN) {
      // Five minutes of lookback and no staleness markers, as a backfilled TSDB serves.
      const seen = samples.filter((s) => s <= t && s > t - 5 * MIN).at(-1);
      if (seen !== undefined) values.push([t / 1000, String(seen / 1000)]);
    }
    const result = values.length
      ? [{ metric: { alertname: 'X', alertstate: 'firing', instance: 'a' }, values }]
      : [];
    return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
  }) as typeof fetch;
}

describe('readHistory', () => {
  it('splits at a gap longer than the step and ignores samples seen again through the lookback', async () => {
    const samples = [0, 1, 2, 3, 7, 8].map((m) => T0 + m * MIN);
    const urls: string[] = [];
    const occurrences = await readHistory(
      { fetch: fakePrometheus(samples, urls) },
      { url: 'http://prom/', from: T0, to: T0 + 60 * MIN, stepMs: MIN, chunkMs: 20 * MIN },
    );
    expect(occurrences.map((o) => [(o.startsAt - T0) / MIN, (o.endsAt! - T0) / MIN])).toEqual([
      [0, 3],
      [7, 8],
    ]);
    expect(occurrences[0]!.labels).toEqual({ alertname: 'X', instance: 'a' });
    // Chunks of 20 points, back to back, none read twice.
    expect(urls.length).toBe(4);
  });

  it('leaves the end open when the alert still fires at the end of the range', async () => {
    const samples = Array.from({ length: 11 }, (_, m) => T0 + (50 + m) * MIN);
    const [o] = await readHistory(
      { fetch: fakePrometheus(samples) },
      { url: 'http://prom', from: T0, to: T0 + 60 * MIN, stepMs: MIN, chunkMs: 86_400_000 },
    );
    expect(o?.endsAt).toBeUndefined();
  });
});

describe('runOutcome', () => {
  const runbook = {
    on: 'firing',
    steps: [
      { action: { timeoutMs: 30_000 }, verify: { kind: 'alertResolved', withinMs: 120_000 } },
      { action: { timeoutMs: 10_000 } },
    ],
  } as unknown as Runbook;
  it('succeeds when the alert ended within the verify window after the steps (4 s here)', () => {
    expect(runOutcome('history', runbook, T0, T0 + 124_000)).toEqual({
      endsAt: T0 + 124_000,
      status: 'succeeded',
    });
    expect(runOutcome('history', runbook, T0, T0 + 124_001)).toEqual({
      endsAt: T0 + 124_000,
      status: 'failed',
    });
    expect(runOutcome('history', runbook, T0, undefined)).toEqual({ endsAt: T0 + 124_000, status: 'failed' });
    expect(runOutcome('always-succeed', runbook, T0, undefined)).toEqual({
      endsAt: T0 + 4_000,
      status: 'succeeded',
    });
    expect(runOutcome('always-fail', runbook, T0, T0)).toEqual({ endsAt: T0 + 124_000, status: 'failed' });
  });
});
