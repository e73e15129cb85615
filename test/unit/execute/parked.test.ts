import { describe, expect, it } from 'vitest';
import { PARKED_RECHECK_MS, parked, parkedRecheckMs } from '../../../src/execute/run-helpers.ts';
import type { RunRecord } from '../../../src/types.ts';

const run = (state?: 'held' | 'ended'): RunRecord =>
  ({ id: 'r', ...(state ? { pageHold: { state, events: [] } } : {}) }) as unknown as RunRecord;

describe('parkedRecheckMs', () => {
  it('is the slow safety recheck for a run that holds no page', () => {
    expect(parkedRecheckMs(run(), 120_000)).toBe(PARKED_RECHECK_MS);
    expect(parkedRecheckMs(run('ended'), 12_000)).toBe(PARKED_RECHECK_MS);
  });

  it('is a third of the lapse while the run holds the page, so a wake-up renews it in time', () => {
    expect(parkedRecheckMs(run('held'), 12_000)).toBe(4_000);
    expect(parkedRecheckMs(run('held'), 120_000)).toBe(40_000);
    expect(parkedRecheckMs(run('held'), 600_000)).toBe(PARKED_RECHECK_MS);
  });

  it('never wakes a run more than once a second', () => {
    expect(parkedRecheckMs(run('held'), 1_500)).toBe(1_000);
  });
});

describe('parked', () => {
  it('wakes at the recheck, or at the deadline when that comes first', () => {
    expect(parked(100_000, 0)).toEqual({ kind: 'wait', retryAt: PARKED_RECHECK_MS });
    expect(parked(100_000, 0, 4_000)).toEqual({ kind: 'wait', retryAt: 4_000 });
    expect(parked(3_000, 0, 4_000)).toEqual({ kind: 'wait', retryAt: 3_000 });
  });
});
