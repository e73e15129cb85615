/** What most scenarios start with: their own Redis, the demo runbooks, one `remediator serve`. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedisServer, type RedisServer } from '../harness/redis-procs.ts';
import { startRemediator, type Remediator, type RemediatorOptions } from '../harness/remediator.ts';
import { writeDemoRunbooks } from '../harness/runbooks.ts';
import type { ScenarioContext } from '../harness/scenario.ts';

export interface Basics {
  readonly redis: RedisServer;
  readonly runbooksDir: string;
  readonly remediator: Remediator;
}

export async function startBasics(
  ctx: ScenarioContext,
  options: {
    omitDemo?: readonly string[];
    env?: Record<string, string>;
    extra?: (dir: string) => Promise<void>;
  } = {},
): Promise<Basics> {
  const redis = await startRedisServer({ dir: ctx.dir });
  ctx.defer(() => redis.stop());
  const runbooksDir = join(ctx.dir, 'runbooks');
  await mkdir(runbooksDir, { recursive: true });
  await writeDemoRunbooks(runbooksDir, options.omitDemo);
  await options.extra?.(runbooksDir);
  const remediator = await launch(ctx, {
    redisUrl: redis.url,
    runbooksDir,
    ...(options.env ? { env: options.env } : {}),
  });
  return { redis, runbooksDir, remediator };
}

/** Starts a remediator process and stops it (SIGTERM) when the scenario ends. */
export async function launch(
  ctx: ScenarioContext,
  options: Omit<RemediatorOptions, 'stack' | 'dir'>,
): Promise<Remediator> {
  const remediator = await startRemediator({ stack: ctx.stack, dir: ctx.dir, ...options });
  ctx.defer(() => remediator.proc.stop());
  ctx.note(`${remediator.name} (${options.mode ?? 'serve'}) started, pid ${remediator.proc.pid}`);
  return remediator;
}
