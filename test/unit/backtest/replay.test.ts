import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsFingerprint } from '../../../src/backtest/fingerprint.ts';
import type { Occurrence } from '../../../src/backtest/history.ts';
import { replay } from '../../../src/backtest/replay.ts';
import { loadRunbooks } from '../../../src/config/runbooks.ts';
import { readSettings } from '../../../src/config/settings.ts';
import type { Runbook } from '../../../src/types.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
let dir: string;
let runbooks: Runbook[];

// One web instance at a time (group by service), a minute's wait at most, steps of 10 s that verify
// for 5 minutes: under always-fail a run holds the group for 5 m 10 s.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-replay-'));
  await writeFile(
    join(dir, 'restart.yaml'),
    [
      'name: restart',
      'description: test',
      'match: [\'alertname = "Down"\']',
      "target: '{{labels.instance}}'",
      'policy: { maxWait: 1m }',
      'steps:',
      '  - name: restart',
      '    ssh: { command: [restart], timeout: 100s }',
      '    verify: { alertResolved: 5m }',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'after.yaml'),
    [
      'name: after',
      'description: test',
      'on: resolved',
      'match: [\'alertname = "Down"\']',
      "target: '{{labels.instance}}'",
      'steps:',
      '  - name: note',
      '    ssh: { command: [note], timeout: 10s }',
      '',
    ].join('\n'),
  );
  runbooks = await loadRunbooks([dir]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function down(instance: string, start: number, end?: number): Occurrence {
  const labels = { alertname: 'Down', instance, service: 'web' };
  return {
    labels,
    fingerprint: labelsFingerprint(labels),
    startsAt: start,
    ...(end === undefined ? {} : { endsAt: end }),
  };
}

async function run(occurrences: Occurrence[], stops: number[] = []) {
  const result = await replay(occurrences, {
    observe: (_run, r) => {
      if (r.kind === 'stop') stops.push(Date.parse(r.decision.at));
    },
    runbooks,
    settings: readSettings({}),
    outcome: 'always-fail',
    from: T0,
    to: T0 + 60 * MIN,
  });
  const t = result.runbooks.find((r) => r.runbook === 'restart')!;
  return { started: t.started, stopped: t.stopped, waited: t.waited };
}

describe('replay of waiting runs', () => {
  it('ends a run that waited past maxWait with wait_timeout, as the admission stage does', async () => {
    expect(await run([down('a', T0), down('b', T0 + 1000)])).toEqual({
      started: 1,
      stopped: { wait_timeout: 1 },
      waited: { group_busy: 1 },
    });
  });

  it('wakes a waiting run whose alert resolves: it ends `resolved`, not at its deadline', async () => {
    const stops: number[] = [];
    const result = await run([down('a', T0), down('b', T0 + 1000, T0 + 30_000)], stops);
    expect(result).toEqual({ started: 1, stopped: { resolved: 1 }, waited: { group_busy: 1 } });
    // At the worker's next poll after the resolution (0.5-1 s), not at the maxWait deadline.
    expect(stops.length).toBe(1);
    expect(stops[0]! - (T0 + 30_000)).toBeGreaterThanOrEqual(500);
    expect(stops[0]! - (T0 + 30_000)).toBeLessThan(1000);
  });

  it('lets a waiting run take the place given back within maxWait', async () => {
    // The first alert's run fails at 5 m 10 s; the second alert arrives 4 m 30 s in, waits 40 s.
    expect(await run([down('a', T0), down('b', T0 + 270_000)])).toEqual({
      started: 2,
      stopped: {},
      waited: { group_busy: 1 },
    });
  });

  it('starts `on: resolved` runbooks when the alert resolves', async () => {
    const result = await replay([down('a', T0, T0 + 5 * MIN), down('b', T0)], {
      runbooks,
      settings: readSettings({}),
      outcome: 'history',
      from: T0,
      to: T0 + 60 * MIN,
    });
    const after = result.runbooks.find((r) => r.runbook === 'after')!;
    expect([after.matched, after.started, after.succeeded, after.targets]).toEqual([1, 1, 1, { a: 1 }]);
  });
});

describe('replay of page holds', () => {
  // a heals (its alert ends 2 min in, inside the verify window); b never resolves, so its run fails.
  const history = () => [down('a', T0, T0 + 2 * MIN), down('b', T0 + 20 * MIN)];
  const tally = async (pageHold: boolean | undefined, env: Record<string, string> = {}) => {
    const rbs = runbooks.map((rb) =>
      rb.name === 'restart' && pageHold !== undefined ? { ...rb, pageHold } : rb,
    );
    const result = await replay(history(), {
      runbooks: rbs,
      settings: readSettings(env),
      pageHold: readSettings(env).pageHold,
      outcome: 'history',
      from: T0,
      to: T0 + 60 * MIN,
    });
    const t = result.runbooks.find((r) => r.runbook === 'restart')!;
    return { started: t.started, held: t.pagesHeld, avoided: t.pagesAvoided };
  };

  it('holds the page of every run that acts when the runbook opts in; the healed one is a page avoided', async () => {
    expect(await tally(true)).toEqual({ started: 2, held: 2, avoided: 1 });
  });

  it('follows REMEDIATOR_PAGE_HOLD for runbooks that say nothing, and a runbook saying false wins', async () => {
    expect(await tally(undefined)).toEqual({ started: 2, held: 0, avoided: 0 });
    expect(
      await tally(undefined, { REMEDIATOR_PAGE_HOLD: 'true', REMEDIATOR_ALERTMANAGER_URL: 'http://am:9093' }),
    ).toEqual({
      started: 2,
      held: 2,
      avoided: 1,
    });
    expect(
      await tally(false, { REMEDIATOR_PAGE_HOLD: 'true', REMEDIATOR_ALERTMANAGER_URL: 'http://am:9093' }),
    ).toEqual({
      started: 2,
      held: 0,
      avoided: 0,
    });
  });
});
