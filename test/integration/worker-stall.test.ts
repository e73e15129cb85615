import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { enqueueRun, RUN_QUEUE } from '../../src/queue/producer.ts';
import { startRunWorker, type ProcessOutcome, type RunWorker } from '../../src/queue/worker.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

/**
 * A job whose BullMQ lock lapses while its process is only slow (an event-loop or Redis pause longer
 * than the renewal interval) is handed out again, usually to the same worker. Seen in CI: the second
 * attempt took the target lock over and the first, still healthy, ended its run `lock_lost`. The
 * worker must join the attempt it is still running.
 */
const PREFIX = 'stall-test';
let redis: TestRedis;
let client: Redis;
let queue: Queue;
let worker: RunWorker | undefined;

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new Queue(RUN_QUEUE, { connection: client, prefix: PREFIX });
});

afterAll(async () => {
  await worker?.close(5000);
  await queue?.close();
  client?.disconnect();
  await redis?.stop();
});

it('joins the running attempt when its own job comes back after a lapsed lock', async () => {
  const calls: string[] = [];
  const warnings: string[] = [];
  let finish: (outcome: ProcessOutcome) => void = () => undefined;
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: (_fields: object, msg?: string) => void warnings.push(msg ?? ''),
    error: () => undefined,
  };
  worker = startRunWorker({
    connection: client.duplicate(),
    prefix: PREFIX,
    lockMs: 1000,
    log: log as never,
    process: (runId) => {
      calls.push(runId);
      return new Promise((resolve) => (finish = resolve));
    },
  });
  await enqueueRun(queue, 'run-1');
  await vi.waitFor(() => expect(calls).toHaveLength(1), { timeout: 10_000, interval: 50 });
  const [jobId] = (await queue.getActive()).map((j) => j.id);
  expect(jobId).toBeDefined();
  // What a long pause does: the job's lock is gone before the worker renews it.
  await client.del(`${PREFIX}:${RUN_QUEUE}:${jobId}:lock`);
  // Handed out again: joined (one call) or, without the join, run a second time (two calls).
  const backAgain = () => warnings.some((w) => w.includes('joining')) || calls.length > 1;
  await vi.waitFor(() => expect(backAgain()).toBe(true), { timeout: 15_000, interval: 50 });
  expect(calls).toEqual(['run-1']);
  finish({ kind: 'done' });
  await vi.waitFor(async () => expect((await queue.getJobCounts('active')).active).toBe(0), {
    timeout: 10_000,
    interval: 50,
  });
  // One attempt ran the run, whatever BullMQ did with the job.
  expect(calls).toEqual(['run-1']);
});
