/**
 * The end-to-end chaos suite (issue #6): every scenario against one shared stack on loopback (the demo
 * fleet, sshd, HAProxy, Prometheus on alert-rules/, two clustered Alertmanagers), each with its own
 * Redis and remediator processes. `npm run test:chaos`; the table of timings is printed at the end
 * (test/chaos/table-reporter.ts). Logs: test-artifacts/chaos/ (kept for failed scenarios; CHAOS_KEEP=1
 * keeps everything).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ARTIFACTS } from './harness/paths.ts';
import { KEEP, runScenario, type Scenario } from './harness/scenario.ts';
import { startChaosStack, type ChaosStack } from './harness/stack.ts';
import { pagedFor, type TimelineRow } from './harness/timeline.ts';
import { memoryLeak } from './scenarios/01-memory-leak.ts';
import { errorSpike } from './scenarios/02-error-spike.ts';
import { cpuExhaustion } from './scenarios/03-cpu-exhaustion.ts';
import { simultaneous } from './scenarios/04-simultaneous.ts';
import { haDelivery } from './scenarios/05-ha-delivery.ts';
import { crash } from './scenarios/06-crash.ts';
import { redisRestart } from './scenarios/07-redis-restart.ts';
import { gracefulStop } from './scenarios/08-graceful-stop.ts';
import { flapping } from './scenarios/09-flapping.ts';
import { scaleOut } from './scenarios/10-scale-out.ts';
import { sentinelFailover } from './scenarios/10b-sentinel-failover.ts';
import { pageHold } from './scenarios/11-page-hold.ts';

declare module 'vitest' {
  interface TaskMeta {
    chaos?: TimelineRow[];
  }
}

const SCENARIOS: readonly Scenario[] = [
  // First, on a fresh stack: Alertmanager waits group_wait only for a new aggregation group. After
  // other scenarios fired HighCpuUsage for the same services, an alert joins a group that already
  // exists and both routes flush it at their own next group_interval, racing the hold (README: the
  // timing contract holds for an alert that starts its group).
  pageHold,
  memoryLeak,
  errorSpike,
  cpuExhaustion,
  simultaneous,
  haDelivery,
  crash,
  redisRestart,
  gracefulStop,
  flapping,
  scaleOut,
  sentinelFailover,
];
const ONLY = process.env['CHAOS_ONLY']?.split(',');

let stack: ChaosStack | undefined;
let failed = false;

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  stack = await startChaosStack(join(ARTIFACTS, 'stack'));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (!failed && !KEEP) await rm(join(ARTIFACTS, 'stack'), { recursive: true, force: true });
}, 60_000);

describe('chaos', () => {
  for (const scenario of SCENARIOS) {
    const skip = ONLY !== undefined && !ONLY.some((id) => scenario.id.startsWith(id));
    it.skipIf(skip)(scenario.title, { timeout: scenario.timeoutMs }, async ({ task }) => {
      const rows: TimelineRow[] = [];
      try {
        await runScenario(stack!, scenario, rows);
        for (const row of rows) row.result = 'passed';
      } catch (err) {
        failed = true;
        for (const row of rows) row.result = 'FAILED';
        if (rows.length === 0) rows.push({ scenario: scenario.title, result: 'FAILED' });
        throw err;
      } finally {
        const bodies = stack!.humans.requests.map((r) => r.body);
        for (const row of rows) if (row.occurrence) row.paged = pagedFor(bodies, row.occurrence);
        task.meta.chaos = rows;
      }
    });
  }
});
