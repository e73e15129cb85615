// 5. Alert storm: one notification of 5,000 alerts, then 50 notifications of 100 alerts at once.
// 6 (second half). Resident memory after the storm.
import { Queue } from 'bullmq';
import { RUN_QUEUE } from '../src/queue/producer.ts';
import type { BenchContext } from './lib/context.ts';
import { WORKER_CONCURRENCY } from './lib/context.ts';
import { cpuText } from './lib/load.ts';
import { scrape, sumMetric } from './lib/metrics.ts';
import { actionableLabels, bodyFactory } from './lib/payloads.ts';
import { cpuMeter, rssBytes } from './lib/proc.ts';
import { MB, sleep } from './lib/stats.ts';
import type { Row } from './table.ts';

const SHAPES = [
  { name: 'one notification of 5,000 alerts', notifications: 1, alerts: 5_000 },
  { name: '50 notifications of 100 alerts, in parallel', notifications: 50, alerts: 100 },
] as const;
const DECIDE_TIMEOUT_MS = 120_000;
const SAMPLE_MS = 100;

interface Server {
  readonly url: string;
  readonly pid: number;
}

interface Phase {
  acceptMs: number;
  redisGrowthBytes: number;
  redisPeakGrowthBytes: number;
  /** Most BullMQ jobs active (taken by the worker, not ended) at once, sampled. */
  peakInFlight: number;
  /** Most step requests open at the no-op target at once. */
  peakAtTarget: number;
  /** CPU cores used from sending until every run ended. */
  cpu: Record<string, number>;
  /** From sending until every run had ended (NaN when it did not within the timeout). */
  decidedMs: number;
  payloadBytes: number;
}

interface Storm {
  phases: Phase[];
  rssAfter: number;
}

/** What the phase watches: how many runs have ended so far, how many are active (BullMQ jobs). */
interface Progress {
  ended(): Promise<number>;
  active(): Promise<number>;
}

/** Active jobs of a BullMQ queue, read the same way for remediator and the baseline. */
function activeJobs(ctx: BenchContext, name: string, prefix: string): { count(): Promise<number>; close(): Promise<void> } {
  const queue = new Queue(name, { connection: ctx.client, prefix });
  return { count: async () => (await queue.getJobCounts('active')).active ?? 0, close: () => queue.close() };
}

async function usedMemory(ctx: BenchContext): Promise<number> {
  const info = await ctx.client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

async function phase(
  ctx: BenchContext,
  server: Server,
  shape: (typeof SHAPES)[number],
  tag: string,
  progress: Progress,
): Promise<Phase> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ctx.token}` };
  const make = bodyFactory(shape.alerts, actionableLabels, tag);
  const bodies = Array.from({ length: shape.notifications }, () => make());
  const total = shape.notifications * shape.alerts;
  await ctx.target.call('reset');
  const ended0 = await progress.ended();
  const memory0 = await usedMemory(ctx);
  const meter = cpuMeter({ server: server.pid, redis: ctx.redis.pid });
  const t0 = performance.now();
  const answers = await Promise.all(
    bodies.map((body) => fetch(`${server.url}/hooks/alertmanager`, { method: 'POST', headers, body })),
  );
  const acceptMs = performance.now() - t0;
  const statuses = answers.map((a) => a.status);
  await Promise.all(answers.map((a) => a.text()));
  if (statuses.some((s) => s !== 202)) throw new Error(`storm: answers ${[...new Set(statuses)].join(', ')}`);
  const memory1 = await usedMemory(ctx);
  let peakMemory = memory1;
  let peakInFlight = 0;
  let decidedMs = NaN;
  while (performance.now() - t0 < DECIDE_TIMEOUT_MS) {
    const [ended, active, memory] = await Promise.all([progress.ended(), progress.active(), usedMemory(ctx)]);
    peakInFlight = Math.max(peakInFlight, active);
    peakMemory = Math.max(peakMemory, memory);
    if (ended - ended0 >= total) {
      decidedMs = performance.now() - t0;
      break;
    }
    await sleep(SAMPLE_MS);
  }
  const cpu = meter();
  const target = await ctx.target.call<{ maxOpen: number }>('stats');
  const result = {
    acceptMs,
    redisGrowthBytes: memory1 - memory0,
    redisPeakGrowthBytes: peakMemory - memory0,
    peakInFlight,
    peakAtTarget: target.maxOpen,
    cpu,
    decidedMs,
    payloadBytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0),
  };
  ctx.log(
    `  accepted in ${acceptMs.toFixed(0)} ms, all decided in ${(decidedMs / 1000).toFixed(1)} s, ` +
      `peak in flight ${result.peakInFlight}, Redis +${(result.redisGrowthBytes / MB).toFixed(1)} MB`,
  );
  return result;
}

async function remediatorStorm(ctx: BenchContext): Promise<Storm> {
  await ctx.flush();
  const svc = await ctx.remediator('storm', ctx.guarded);
  const jobs = activeJobs(ctx, RUN_QUEUE, 'storm');
  try {
    const progress: Progress = {
      ended: async () => sumMetric(await scrape(svc.url), 'remediator_runs_total'),
      active: jobs.count,
    };
    await sleep(500);
    const phases: Phase[] = [];
    for (const [i, shape] of SHAPES.entries()) {
      ctx.log(`storm: remediator, ${shape.name}`);
      phases.push(await phase(ctx, svc, shape, `sr${i}`, progress));
    }
    return { phases, rssAfter: rssBytes(svc.pid) };
  } finally {
    await jobs.close();
    await svc.stop();
  }
}

async function bareStorm(ctx: BenchContext): Promise<Storm> {
  await ctx.flush();
  const bare = await ctx.bare('pipeline');
  const jobs = activeJobs(ctx, 'bare', 'bare');
  try {
    // Every job makes exactly one request to the target, whose count starts at 0 with each phase.
    const progress: Progress = {
      ended: async () => (await ctx.target.call<{ count: number }>('stats')).count,
      active: jobs.count,
    };
    await sleep(500);
    const phases: Phase[] = [];
    for (const [i, shape] of SHAPES.entries()) {
      ctx.log(`storm: bare pipeline, ${shape.name}`);
      phases.push(await phase(ctx, bare, shape, `sb${i}`, progress));
    }
    return { phases, rssAfter: rssBytes(bare.pid) };
  } finally {
    await jobs.close();
    await bare.stop();
    await ctx.flush();
  }
}

export async function benchStorm(ctx: BenchContext): Promise<Row[]> {
  const own = await remediatorStorm(ctx);
  const base = await bareStorm(ctx);
  const rows: Row[] = [];
  SHAPES.forEach((shape, i) => {
    const r = own.phases[i]!;
    const b = base.phases[i]!;
    const label = shape.notifications === 1 ? '5,000 alerts in 1' : '50 × 100 alerts';
    rows.push(
      { section: '5', measure: `${label}: time to accept`, value: r.acceptMs, baseline: b.acceptMs, unit: 'ms' },
      {
        section: '5',
        measure: `${label}: Redis memory growth`,
        value: r.redisGrowthBytes / MB,
        baseline: b.redisGrowthBytes / MB,
        unit: 'MB',
        note:
          `at the 202; peak while the runs ran +${(r.redisPeakGrowthBytes / MB).toFixed(1)} MB ` +
          `(baseline +${(b.redisPeakGrowthBytes / MB).toFixed(1)} MB); the bodies held ${(r.payloadBytes / MB).toFixed(1)} MB of JSON.`,
      },
      {
        section: '5',
        measure: `${label}: runs in flight at peak`,
        value: r.peakInFlight,
        baseline: b.peakInFlight,
        unit: 'count',
        target: {
          text: `≤ worker concurrency ${WORKER_CONCURRENCY} (no blast-radius policy yet)`,
          met: r.peakInFlight <= WORKER_CONCURRENCY,
        },
        note:
          `BullMQ jobs active at once, sampled every ${SAMPLE_MS} ms (the same way for both); ` +
          `step requests open at the no-op target at once: ${r.peakAtTarget} (baseline ${b.peakAtTarget}).`,
      },
      {
        section: '5',
        measure: `${label}: time until every run is decided`,
        value: r.decidedMs / 1000,
        baseline: b.decidedMs / 1000,
        unit: 's',
        note:
          `remediator: sum of remediator_runs_total reached the alert count (polled every ${SAMPLE_MS} ms); ` +
          `baseline: the target has seen every job's request. CPU (cores) from sending to decided: ` +
          `${cpuText(r.cpu)}; baseline ${cpuText(b.cpu)}.`,
      },
    );
  });
  rows.push({
    section: '6',
    measure: 'RSS after the storm',
    value: own.rssAfter / MB,
    baseline: base.rssAfter / MB,
    unit: 'MB',
    note: 'remediator with the 10 bench runbooks after both storm shapes; baseline: the bare pipeline after the same storm.',
  });
  return rows;
}
