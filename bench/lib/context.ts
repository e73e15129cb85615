import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { forkChild, type Child } from './child.ts';
import { writeBenchConfig, type BenchConfig, type StepKind } from './fixture.ts';
import { startRemediator, type Remediator } from './remediator.ts';

export interface BenchOptions {
  /** Seconds of each measured load run. */
  readonly seconds: number;
  /** Seconds of warm-up before each measured load run. */
  readonly warmup: number;
  /** Node flags for every remediator process, e.g. `--cpu-prof --cpu-prof-dir=…`. */
  readonly nodeFlags: readonly string[];
}

/** What every scenario shares: one Redis, one no-op HTTP target, the bench config files. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly work: string;
  readonly redis: TestRedis;
  readonly client: Redis;
  readonly target: Child;
  readonly token: string;
  /** Bench runbooks with limits that let every run through (ingest, reaction). */
  readonly open: BenchConfig;
  /** The same runbooks with their default policy, steps that last HOLD_MS (the storm). */
  readonly guarded: BenchConfig;
  log(message: string): void;
  /** `node bin/remediator.js serve` (or `entry`) over `config`, Redis keys under `prefix`. */
  remediator(
    prefix: string,
    config: BenchConfig,
    env?: Record<string, string>,
    entry?: string,
  ): Promise<Remediator>;
  /** A baseline server in its own process (see bench/servers/bare.ts); `step` as in the bench runbooks. */
  bare(mode: 'parse' | 'pipeline', step?: StepKind): Promise<Child>;
  /** Empties Redis between scenarios, so one's leftovers do not weigh on the next. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const WORKER_CONCURRENCY = 4;

export async function createContext(options: BenchOptions, log: (m: string) => void): Promise<BenchContext> {
  const work = await mkdtemp(join(tmpdir(), 'remediator-bench-'));
  const redis = await startTestRedis();
  const client = new Redis(redis.url, { lazyConnect: false });
  const target = await forkChild(new URL('../servers/target.ts', import.meta.url));
  const open = await writeBenchConfig(join(work, 'open'), target.url, true, 'noop');
  const guarded = await writeBenchConfig(join(work, 'guarded'), target.url, false, 'hold');
  const token = 'bench-webhook-token';
  return {
    options,
    work,
    redis,
    client,
    target,
    token,
    open,
    guarded,
    log,
    remediator: (prefix, config, env, entry) =>
      startRemediator({
        ...config,
        ...(entry ? { entry } : {}),
        redisUrl: redis.url,
        prefix,
        logFile: join(work, `${prefix}.log`),
        webhookToken: token,
        nodeFlags: [...options.nodeFlags],
        env: { REMEDIATOR_CONCURRENCY: String(WORKER_CONCURRENCY), ...env },
      }),
    bare: (mode, step = 'noop') =>
      forkChild(new URL('../servers/bare.ts', import.meta.url), [
        mode,
        redis.url,
        target.url,
        String(WORKER_CONCURRENCY),
        step,
      ]),
    flush: async () => {
      await client.flushall();
    },
    close: async () => {
      await target.stop();
      client.disconnect();
      await redis.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
