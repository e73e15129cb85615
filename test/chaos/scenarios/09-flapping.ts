import { expect } from 'vitest';
import type { FleetInstance } from '../../../demo/fleet.ts';
import { inject, instance, pidOf, restartsSince } from '../harness/fleet-control.ts';
import { scrape } from '../harness/metrics.ts';
import { allRuns, ENDED } from '../harness/runs.ts';
import type { Scenario, ScenarioContext } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { sleep, until } from '../harness/wait.ts';
import { startBasics } from './common.ts';
import type { Redis } from 'ioredis';
import type { RunRecord } from '../../../src/types.ts';

const COOLDOWN_MS = 30_000; // demo-restart-cpu-burner's policy.cooldown
const RUNBOOK = 'restart-cpu-burner';

/** Is Alertmanager (a) listing a HighCpuUsage alert for `target`? */
async function firing(ctx: ScenarioContext, target: FleetInstance): Promise<boolean> {
  const alerts = (await (await fetch(`${ctx.stack.alertmanagers.a.url}/api/v2/alerts`)).json()) as Array<{
    labels: Record<string, string>;
  }>;
  return alerts.some((a) => a.labels['instance'] === target.name && a.labels['alertname'] === 'HighCpuUsage');
}

/** POST a fault, again and again while the instance is restarting (nothing listens for a moment). */
const injectSurely = (target: FleetInstance, fault: 'cpu-burn' | 'clear') =>
  until(
    `${target.name} to take /fault/${fault}`,
    20_000,
    async () => (await inject(target, fault), true),
    200,
  );

/**
 * Makes `target`'s HighCpuUsage alert fire and resolve over and over until `stop()`: burn, wait for
 * the alert and for remediator to restart the instance or refuse to, clear, wait for the alert to
 * resolve, and again. `sticky`: the fault comes back 2 s after every restart (the restart does not
 * fix it), so the runbook's verification fails.
 */
function flap(
  ctx: ScenarioContext,
  client: Redis,
  target: FleetInstance,
  sticky: boolean,
  stop: () => boolean,
) {
  return (async () => {
    let cycles = 0;
    while (!stop()) {
      cycles++;
      const burnAt = Date.now();
      await injectSurely(target, 'cpu-burn');
      await until(`${target.name}'s alert to fire`, 30_000, () => firing(ctx, target));
      const pid = await pidOf(ctx.stack, target);
      // Restarted, or refused: a run for this occurrence ended without a restart (it may have waited
      // behind another instance of its service first).
      const outcome = await until(`remediator to restart ${target.name} or refuse to`, 90_000, async () => {
        const now = await pidOf(ctx.stack, target);
        if (now !== undefined && now !== pid) return 'restarted';
        const runs = (await allRuns(client)).filter(
          (r) => r.target === target.name && Date.parse(r.receivedAt) > burnAt,
        );
        return runs.some((r) => r.status === 'skipped') ? 'refused' : undefined;
      });
      if (outcome === 'restarted' && sticky) {
        await sleep(2000);
        await injectSurely(target, 'cpu-burn');
        await until(`the failing run on ${target.name} to end`, 60_000, async () =>
          (await allRuns(client)).filter((r) => r.target === target.name).every((r) => ENDED.has(r.status)),
        );
      }
      await injectSurely(target, 'clear');
      await until(`${target.name}'s alert to resolve`, 40_000, async () => !(await firing(ctx, target)));
      ctx.note(`${target.name}: flap cycle ${cycles} done (${outcome})`);
    }
    return cycles;
  })();
}

/**
 * Four alerts that fire and resolve over and over. On one, the restart works each time and the alert
 * comes back anyway; on three, the fault survives the restart. The cooldown keeps the first from
 * being restarted again at once, the failures open the runbook's circuit breaker, and from then on no
 * alert restarts anything: no restart loop.
 */
export const flapping: Scenario = {
  id: '09-flapping',
  title: '9. Flapping: no restart loop',
  timeoutMs: 420_000,
  async run(ctx) {
    const { redis, remediator } = await startBasics(ctx);
    const client = ctx.redis(redis.url);
    const good = instance(ctx.stack, instanceName('user-service', 1));
    const sticky = [
      instance(ctx.stack, instanceName('order-service', 1)),
      instance(ctx.stack, instanceName('payment-service', 1)),
      instance(ctx.stack, instanceName('user-service', 2)),
    ];
    const since = Date.now();
    let openedAt: number | undefined;
    let stopping = false;
    const flappers = [flap(ctx, client, good, false, () => stopping)];
    ctx.defer(async () => {
      stopping = true;
      await Promise.allSettled(flappers);
    });
    // The healed alert flaps alone until it has come back once, so its return meets the cooldown
    // before the sticky alerts' failures open the circuit: started together, the good instance's
    // first run waited behind user-2's failing one (same service), and its return met the open
    // circuit instead (chaos loop run 2 of issue #17).
    await until(
      'the healed alert to fire again after its restart',
      150_000,
      async () =>
        (await allRuns(client)).filter((r) => r.target === good.name && ENDED.has(r.status)).length >= 2,
      1000,
    );
    flappers.push(...sticky.map((t) => flap(ctx, client, t, true, () => stopping)));
    // Flap until the breaker has been open long enough for every alert to have fired again under it.
    await until(
      'the circuit breaker to open and every alert to fire again',
      240_000,
      async () => {
        const open = await scrape(remediator.url, 'remediator_circuit_state', {
          runbook: RUNBOOK,
          state: 'open',
        });
        if (open === 1) openedAt ??= Date.now();
        if (openedAt === undefined) return false;
        const runs = (await allRuns(client)).filter((r) => r.runbook === RUNBOOK);
        const after = [good, ...sticky].filter((t) =>
          runs.some((r) => r.target === t.name && Date.parse(r.receivedAt) > openedAt!),
        );
        return after.length === 4;
      },
      1000,
    );
    stopping = true;
    const cycles = await Promise.all(flappers);
    ctx.note(`flap cycles: ${cycles.join(', ')}`);
    const runs = (await allRuns(client)).filter((r) => r.runbook === RUNBOOK);
    expect(runs.every((r) => ENDED.has(r.status))).toBe(true);
    const acted = (r: RunRecord) => r.steps.some((s) => s.status === 'succeeded' || s.status === 'failed');
    const byTarget = (t: FleetInstance) => runs.filter((r) => r.target === t.name);
    for (const t of [good, ...sticky]) {
      const mine = byTarget(t).sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt));
      // It flapped: several occurrences, each with its own run.
      expect(mine.length, t.name).toBeGreaterThanOrEqual(2);
      // Restarts happened only through runs that acted, never two within the cooldown.
      const acting = mine.filter(acted);
      expect((await restartsSince(ctx.stack, t, since)).length, t.name).toBe(acting.length);
      for (let i = 1; i < acting.length; i++) {
        expect(
          Date.parse(acting[i]!.steps[0]!.startedAt!) - Date.parse(acting[i - 1]!.finishedAt!),
        ).toBeGreaterThanOrEqual(COOLDOWN_MS);
      }
    }
    // The fixes that did not hold failed, and three failures opened the circuit.
    for (const t of sticky)
      expect(
        byTarget(t).some((r) => r.status === 'failed' && r.reason === 'verify_failed'),
        t.name,
      ).toBe(true);
    // Refusals, not restarts: by the cooldown (the alert that came back after a working fix) and by
    // the open circuit (everything after the third failure), each escalated to people.
    const refused = runs.filter((r) => r.status === 'skipped');
    expect(refused.filter((r) => r.reason === 'cooldown').length).toBeGreaterThanOrEqual(1);
    expect(refused.filter((r) => r.reason === 'circuit_open').length).toBeGreaterThanOrEqual(4);
    const paged = new Set(
      ctx.stack.pager.requests.map((r) => (JSON.parse(r.body) as { runId?: string }).runId),
    );
    expect(refused.filter((r) => !paged.has(r.id)).map((r) => r.id)).toEqual([]);
    const lastFailure = Math.max(
      ...runs.filter((r) => r.status === 'failed').map((r) => Date.parse(r.finishedAt!)),
    );
    expect(runs.filter(acted).every((r) => Date.parse(r.steps[0]!.startedAt!) < lastFailure)).toBe(true);
    const restarts = runs.filter(acted).length;
    ctx.note(
      `${runs.length} runs for ${runs.length} occurrences; ${restarts} restarts; refused: ${JSON.stringify(refused.map((r) => r.reason))}`,
    );
    ctx.rows.push({
      scenario: '9 flapping',
      what: 'four alerts firing and resolving',
      note: `${runs.length} firings, ${restarts} restarts, refused: ${refused.map((r) => r.reason).join(', ')}`,
    });
  },
};
