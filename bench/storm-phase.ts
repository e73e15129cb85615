// One storm shape against one server: send it, time the 202s, then watch until every run is decided.
import { Queue } from 'bullmq';
import type { BenchContext } from './lib/context.ts';
import { actionableLabels, bodyFactory } from './lib/payloads.ts';
import { cpuMeter } from './lib/proc.ts';
import { MB, sleep } from './lib/stats.ts';

export const SHAPES = [
  { name: 'one notification of 5,000 alerts', notifications: 1, alerts: 5_000 },
  { name: '50 notifications of 100 alerts, in parallel', notifications: 50, alerts: 100 },
] as const;
export const DECIDE_TIMEOUT_MS = 60_000;
export const SAMPLE_MS = 100;
/** Storm alerts come from this many services, i.e. progressive-healing groups of the default policy. */
export const SERVICES = 3;

export interface Server {
  readonly url: string;
  readonly pid: number;
}

export interface Phase {
  acceptMs: number;
  redisGrowthBytes: number;
  redisPeakGrowthBytes: number;
  /** Most step requests open at the target at once: runs acting at the same time. */
  peakActing: number;
  /** Most BullMQ jobs active (taken by a worker, not ended) at once, sampled. */
  peakJobs: number;
  /** Step requests the target received: runs that acted. */
  acted: number;
  /** Ended runs by result (remediator only). */
  results: Record<string, number>;
  /** CPU cores used from sending until every run ended. */
  cpu: Record<string, number>;
  /** From sending until every run had ended (NaN when it did not within the timeout). */
  decidedMs: number;
  /** Runs ended when the bench stopped waiting. */
  decided: number;
  payloadBytes: number;
}

/** What the phase watches: how many runs have ended so far, how many are active (BullMQ jobs). */
export interface Progress {
  ended(): Promise<number>;
  active(): Promise<number>;
  results(): Promise<Record<string, number>>;
}

/** Active jobs of a BullMQ queue, read the same way for remediator and the baseline. */
export function activeJobs(
  ctx: BenchContext,
  name: string,
  prefix: string,
): { count(): Promise<number>; close(): Promise<void> } {
  const queue = new Queue(name, { connection: ctx.client, prefix });
  return { count: async () => (await queue.getJobCounts('active')).active ?? 0, close: () => queue.close() };
}

async function usedMemory(ctx: BenchContext): Promise<number> {
  const info = await ctx.client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

export async function phase(
  ctx: BenchContext,
  server: Server,
  shape: (typeof SHAPES)[number],
  tag: string,
  progress: Progress,
): Promise<Phase> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ctx.token}` };
  const make = bodyFactory(shape.alerts, (i) => actionableLabels(i, SERVICES), tag);
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
  let peakJobs = 0;
  let decidedMs = NaN;
  let decided = 0;
  while (performance.now() - t0 < DECIDE_TIMEOUT_MS) {
    const [ended, active, memory] = await Promise.all([progress.ended(), progress.active(), usedMemory(ctx)]);
    peakJobs = Math.max(peakJobs, active);
    peakMemory = Math.max(peakMemory, memory);
    decided = ended - ended0;
    if (decided >= total) {
      decidedMs = performance.now() - t0;
      break;
    }
    await sleep(SAMPLE_MS);
  }
  const cpu = meter();
  const target = await ctx.target.call<{ maxOpen: number; count: number }>('stats');
  const result = {
    acceptMs,
    redisGrowthBytes: memory1 - memory0,
    redisPeakGrowthBytes: peakMemory - memory0,
    peakActing: target.maxOpen,
    peakJobs,
    acted: target.count,
    results: await progress.results(),
    cpu,
    decidedMs,
    decided,
    payloadBytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0),
  };
  ctx.log(
    `  accepted in ${acceptMs.toFixed(0)} ms, all decided in ${(decidedMs / 1000).toFixed(1)} s, ` +
      `${decided} decided, ${result.acted} acted, at most ${result.peakActing} at once, Redis +${(result.redisGrowthBytes / MB).toFixed(1)} MB`,
  );
  return result;
}
