import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Settings } from '../config/settings.ts';
import { createPolicyStores } from '../policy/stores.ts';
import { closeRedis, createRedis } from '../redis/connect.ts';
import { startEmbeddedRedis } from '../redis/embedded.ts';
import { awaitRedis } from '../redis/startup.ts';
import { redactRedisUrl } from '../redis/url.ts';
import { RemediatorError } from '../errors.ts';
import type { PolicyView } from './dry-run.ts';

/**
 * The policy state `remediator test` evaluates against: the live one at REDIS_URL, or with --fresh a
 * clean throwaway redis-server (so the answer is what a first alert would get). None without either.
 */
export async function openPolicyView(
  settings: Settings,
  fresh: boolean,
): Promise<{ view: PolicyView; close(): Promise<void> } | undefined> {
  if (!fresh && !settings.redisUrl) return undefined;
  const log = pino({ level: 'silent' });
  let cleanup = async () => {};
  let url = settings.redisUrl;
  if (fresh) {
    const dir = await mkdtemp(join(tmpdir(), 'remediator-test-'));
    const server = await startEmbeddedRedis({ dataDir: dir });
    url = server.url;
    cleanup = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  // A fresh server's password is in its URL; the live one's may come from settings.
  const redis = createRedis(url!, 'worker', log, fresh ? {} : settings.redisClient);
  // A worker client waits for Redis forever; a command line should rather say what is wrong.
  const ready = await awaitRedis(redis, redactRedisUrl(url!), 5_000).catch(async (err: unknown) => {
    await closeRedis(redis);
    await cleanup();
    throw err;
  });
  if (!ready) {
    await closeRedis(redis);
    await cleanup();
    throw new RemediatorError('E_REDIS', `Redis at ${redactRedisUrl(url!)} did not answer within 5 s`);
  }
  return {
    view: {
      stores: createPolicyStores(redis, `${settings.redisPrefix}:`),
      settings,
      source: fresh ? 'fresh' : 'live',
    },
    async close() {
      await closeRedis(redis);
      await cleanup();
    },
  };
}
