import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { inject, instance } from '../harness/fleet-control.ts';
import { DEMO, restartRunbook, writeRunbook } from '../harness/runbooks.ts';
import { allRuns, endedRun, open } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import { launch, startBasics } from './common.ts';

/** Lines equal to `word` in a step's marker file (see restartRunbook). */
function count(file: string, word: string): number {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l === word).length
    : 0;
}

/**
 * `kill -9` of remediator while two restart steps run (each takes 10 s): the one marked idempotent is
 * run once more by the restarted process, the other ends `unknown` and is escalated. An alert that
 * fires while remediator is down is delivered again by Alertmanager and handled.
 */
export const crash: Scenario = {
  id: '06-crash',
  title: '6. The healer crashes mid-step (kill -9) and comes back',
  timeoutMs: 240_000,
  async run(ctx) {
    const markers = join(ctx.dir, 'markers');
    const { stack } = ctx;
    // Long enough that both are still running when the second starts (their alerts may fire 5 s apart).
    const common = { alertname: 'HighCpuUsage', markers, sleepSeconds: 10 };
    const env = { REMEDIATOR_LOCK_TTL: '2s' };
    const { redis, runbooksDir, remediator } = await startBasics(ctx, {
      omitDemo: [DEMO.cpu],
      env,
      extra: async (dir) => {
        await writeRunbook(
          dir,
          'idempotent.yaml',
          restartRunbook({
            ...common,
            name: 'chaos-restart-idempotent',
            service: 'order-service',
            idempotent: true,
          }),
        );
        await writeRunbook(
          dir,
          'once.yaml',
          restartRunbook({
            ...common,
            name: 'chaos-restart-once',
            service: 'payment-service',
            idempotent: false,
          }),
        );
      },
    });
    const client = ctx.redis(redis.url);
    const idem = instance(stack, instanceName('order-service', 3));
    const once = instance(stack, instanceName('payment-service', 3));
    const marker = (name: string) => join(markers, name.replace(':', '_'));
    const faultAt = Date.now();
    await Promise.all([inject(idem, 'cpu-burn'), inject(once, 'cpu-burn')]);
    ctx.note(`cpu-burn on ${idem.name} (idempotent runbook) and ${once.name} (not idempotent)`);
    await until('both slow steps to be running at once', 60_000, () =>
      [idem, once].every((t) => count(marker(t.name), 'start') === 1 && count(marker(t.name), 'end') === 0),
    );
    remediator.proc.signal('SIGKILL');
    await remediator.proc.exited;
    const killedAt = Date.now();
    ctx.note('remediator killed (SIGKILL) in the middle of both steps');

    // While it is down, another fault: Alertmanager cannot deliver its alert and keeps trying.
    const downTarget = instance(stack, instanceName('user-service', 3));
    const downFaultAt = await inject(downTarget, 'pool-exhaustion');
    const isDownAlert = (labels: Record<string, string>) =>
      labels['instance'] === downTarget.name && labels['alertname'] === 'ConnectionPoolExhausted';
    await until('Alertmanager to have tried to deliver the new alert', 60_000, () =>
      stack.tap.deliveries.some(
        (d) => d.at > killedAt && d.status === 0 && d.alerts.some((a) => isDownAlert(a.labels)),
      ),
    );
    const failedAttempts = stack.tap.deliveries.filter((d) => d.at > killedAt && d.status === 0).length;
    ctx.note(`${failedAttempts} delivery attempts failed while remediator was down`);

    const restartedAt = Date.now();
    await launch(ctx, { name: 'remediator-2', redisUrl: redis.url, runbooksDir, env });

    const idemRun = await endedRun(
      client,
      'the idempotent run',
      90_000,
      (r) => r.runbook === 'chaos-restart-idempotent',
    );
    const onceRun = await endedRun(
      client,
      'the non-idempotent run',
      60_000,
      (r) => r.runbook === 'chaos-restart-once',
    );
    const downRun = await endedRun(client, 'the run for the alert that fired while down', 90_000, (r) =>
      isDownAlert(r.alert.labels),
    );
    ctx.rows.push(rowFromRun('6 crash', 'idempotent step retried', faultAt, idemRun));
    ctx.rows.push(rowFromRun('6 crash', 'alert fired while down', downFaultAt, downRun));

    // Idempotent: run again once by the new process, then verified.
    expect(idemRun).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(idemRun.steps[0]).toMatchObject({ name: 'restart', status: 'succeeded', retried: true });
    expect(count(marker(idem.name), 'start')).toBe(2);
    // Not idempotent: never run again; unknown, escalated to people.
    expect(onceRun).toMatchObject({ status: 'unknown', reason: 'E_INTERRUPTED' });
    expect(onceRun.steps[0]).toMatchObject({ status: 'failed', errorCode: 'E_INTERRUPTED' });
    expect(count(marker(once.name), 'start')).toBe(1);
    const escalations = stack.pager.requests
      .map((r) => JSON.parse(r.body) as { runId?: string; status?: string; reason?: string })
      .filter((e) => e.runId === onceRun.id);
    expect(escalations).toEqual([expect.objectContaining({ status: 'unknown', reason: 'E_INTERRUPTED' })]);
    // The alert that fired while it was down: Alertmanager's retry reached the new process.
    expect(downRun).toMatchObject({ runbook: 'resize-connection-pool', status: 'succeeded' });
    expect(Date.parse(downRun.receivedAt)).toBeGreaterThan(restartedAt);
    // No run lost: every run ended, one per alert.
    const runs = await allRuns(client);
    expect(open(runs)).toEqual([]);
    expect(runs.map((r) => r.runbook).sort()).toEqual([
      'chaos-restart-idempotent',
      'chaos-restart-once',
      'resize-connection-pool',
    ]);
  },
};
