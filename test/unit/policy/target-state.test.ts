import { describe, expect, it } from 'vitest';
import { nextTargetState, type TargetEvent } from '../../../src/policy/target-state.ts';
import type { TargetRecord, TargetState } from '../../../src/stores/types.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const STABILIZE = 60_000;
const NOW = T0 + 1_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function record(state: TargetState, firing: number, lastRun = 'r1'): TargetRecord {
  return Object.freeze({ state, since: iso(T0), firing, lastRun });
}

const alert = (firing: number): TargetEvent => ({ kind: 'alert', firing });
const started = (runId = 'r2'): TargetEvent => ({ kind: 'run_started', runId });
const ended = (result: 'succeeded' | 'failed' | 'unknown' | 'skipped', runId = 'r1'): TargetEvent => ({
  kind: 'run_ended',
  runId,
  result,
});
const tick: TargetEvent = { kind: 'tick' };

type Row = [TargetState, number, string, TargetEvent, TargetState];

/** One row per cell of the table in target-state.ts; `now` is inside the stabilizing window. */
const table: Row[] = [
  ['healthy', 0, 'alert 2', alert(2), 'degraded'],
  ['healthy', 0, 'alert 0', alert(0), 'healthy'],
  ['healthy', 0, 'run_started', started(), 'recovering'],
  ['healthy', 0, 'run_ended', ended('succeeded'), 'healthy'],
  ['healthy', 0, 'tick', tick, 'healthy'],
  ['degraded', 1, 'alert 2', alert(2), 'degraded'],
  ['degraded', 1, 'alert 0', alert(0), 'healthy'],
  ['degraded', 1, 'run_started', started(), 'recovering'],
  ['degraded', 1, 'run_ended failed', ended('failed'), 'degraded'],
  ['degraded', 1, 'tick', tick, 'degraded'],
  ['recovering', 1, 'alert 2', alert(2), 'recovering'],
  ['recovering', 1, 'alert 0', alert(0), 'recovering'],
  ['recovering', 1, 'run_started (another run)', started(), 'recovering'],
  ['recovering', 1, 'run_ended succeeded', ended('succeeded'), 'stabilizing'],
  ['recovering', 0, 'run_ended succeeded, nothing firing', ended('succeeded'), 'stabilizing'],
  ['recovering', 1, 'run_ended failed', ended('failed'), 'failing'],
  ['recovering', 0, 'run_ended failed, nothing firing', ended('failed'), 'stabilizing'],
  ['recovering', 1, 'run_ended unknown', ended('unknown'), 'failing'],
  ['recovering', 0, 'run_ended unknown, nothing firing', ended('unknown'), 'stabilizing'],
  ['recovering', 1, 'run_ended skipped', ended('skipped'), 'degraded'],
  ['recovering', 0, 'run_ended skipped, nothing firing', ended('skipped'), 'healthy'],
  ['recovering', 1, 'run_ended of another run', ended('failed', 'r0'), 'recovering'],
  ['recovering', 1, 'tick', tick, 'recovering'],
  ['failing', 1, 'alert 2', alert(2), 'failing'],
  ['failing', 1, 'alert 0', alert(0), 'stabilizing'],
  ['failing', 1, 'run_started', started(), 'recovering'],
  ['failing', 1, 'run_ended (repeated)', ended('succeeded'), 'failing'],
  ['failing', 1, 'tick', tick, 'failing'],
  ['stabilizing', 1, 'alert 2 (more than before)', alert(2), 'degraded'],
  ['stabilizing', 1, 'alert 1 (as before)', alert(1), 'stabilizing'],
  ['stabilizing', 1, 'alert 0', alert(0), 'stabilizing'],
  ['stabilizing', 1, 'run_started', started(), 'recovering'],
  ['stabilizing', 1, 'run_ended (repeated)', ended('failed'), 'stabilizing'],
  ['stabilizing', 1, 'tick', tick, 'stabilizing'],
];

describe('nextTargetState: the table', () => {
  it.each(table)('%s (firing %i) + %s -> %s', (from, firing, _name, event, to) => {
    const next = nextTargetState(record(from, firing), event, NOW, STABILIZE);
    expect(next.state).toBe(to);
    expect(next.since).toBe(to === from ? iso(T0) : iso(NOW));
    expect(next.firing).toBe(event.kind === 'alert' ? event.firing : firing);
    expect(next.lastRun).toBe(event.kind === 'run_started' ? event.runId : 'r1');
  });
});

describe('nextTargetState: the stabilizing window', () => {
  it('stays stabilizing until stabilizeMs have passed since `since`', () => {
    const next = nextTargetState(record('stabilizing', 0), tick, T0 + STABILIZE - 1, STABILIZE);
    expect(next).toEqual(record('stabilizing', 0));
  });

  it.each<[number, TargetEvent, TargetState, number]>([
    [0, tick, 'healthy', 0],
    [1, tick, 'degraded', 1],
    [0, alert(0), 'healthy', 0],
    [1, alert(1), 'degraded', 1],
    [1, alert(0), 'healthy', 0],
    [0, alert(1), 'degraded', 1],
    [1, started('r2'), 'recovering', 1],
    [0, ended('succeeded'), 'healthy', 0],
  ])('once over (firing %i), %j settles and gives %s', (firing, event, to, firingAfter) => {
    const now = T0 + STABILIZE;
    const next = nextTargetState(record('stabilizing', firing), event, now, STABILIZE);
    expect(next).toMatchObject({ state: to, since: iso(now), firing: firingAfter });
  });

  it('settles when `since` does not parse', () => {
    const broken = { ...record('stabilizing', 0), since: 'not a time' };
    expect(nextTargetState(broken, tick, NOW, STABILIZE).state).toBe('healthy');
  });
});

describe('nextTargetState: no record yet', () => {
  it.each<[TargetEvent, TargetState]>([
    [alert(1), 'degraded'],
    [alert(0), 'healthy'],
    [started('r9'), 'recovering'],
    [ended('failed', 'r9'), 'healthy'],
    [tick, 'healthy'],
  ])('%j gives %s since now', (event, to) => {
    const next = nextTargetState(undefined, event, NOW, STABILIZE);
    expect(next).toMatchObject({ state: to, since: iso(NOW) });
    expect(next.firing).toBe(event.kind === 'alert' ? event.firing : 0);
  });
});

describe('nextTargetState: since over a whole incident', () => {
  it('moves only when the state changes', () => {
    const steps: [number, TargetEvent, TargetState, number][] = [
      [T0, alert(1), 'degraded', T0],
      [T0 + 10, alert(2), 'degraded', T0],
      [T0 + 20, started('a'), 'recovering', T0 + 20],
      [T0 + 30, alert(1), 'recovering', T0 + 20],
      [T0 + 40, ended('succeeded', 'a'), 'stabilizing', T0 + 40],
      [T0 + 50, alert(0), 'stabilizing', T0 + 40],
      [T0 + 40 + STABILIZE - 1, tick, 'stabilizing', T0 + 40],
      [T0 + 40 + STABILIZE, tick, 'healthy', T0 + 40 + STABILIZE],
      [T0 + 40 + STABILIZE + 5, tick, 'healthy', T0 + 40 + STABILIZE],
    ];
    let current: TargetRecord | undefined;
    for (const [now, event, state, since] of steps) {
      current = nextTargetState(current, event, now, STABILIZE);
      expect(current, `${event.kind} at +${now - T0}`).toMatchObject({ state, since: iso(since) });
    }
    expect(current).toEqual({ state: 'healthy', since: iso(T0 + 40 + STABILIZE), firing: 0, lastRun: 'a' });
  });

  it('does not change its input', () => {
    const prev = record('recovering', 1);
    nextTargetState(prev, ended('failed'), NOW, STABILIZE);
    expect(prev).toEqual(record('recovering', 1));
  });
});
