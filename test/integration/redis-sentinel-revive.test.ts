import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../../src/redis/connect.ts';
import { startSentinelGroup, type SentinelGroup } from '../chaos/harness/redis-procs.ts';
import { until } from '../chaos/harness/wait.ts';

/**
 * ioredis ends a Sentinel client for good when its connector is disconnected while it connects: the
 * failover detector does exactly that when a Sentinel announces the promotion while the client is
 * still reconnecting after the primary died (chaos scenario 10b, loop run 3: the webhook's queue
 * connection said "Connection is closed." for four minutes and every notification was answered 503).
 * The test makes that moment happen on purpose, the way the detector does.
 */
let dir: string;
let group: SentinelGroup;
const logged: string[] = [];
const log = { warn: (_: object, msg: string) => void logged.push(msg), info: () => undefined };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-revive-'));
  group = await startSentinelGroup(dir);
}, 60_000);

afterAll(async () => {
  await group?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Drops the client's socket and, as it connects again, disconnects its connector mid-connect. */
async function loseConnectWhileReconnecting(client: Redis): Promise<void> {
  const connector = (client as unknown as { connector: { disconnect(): void } }).connector;
  const cut = new Promise<void>((resolve) =>
    client.once('connecting', () => {
      connector.disconnect();
      resolve();
    }),
  );
  (client as unknown as { stream: { destroy(): void } }).stream.destroy();
  await cut;
}

for (const role of ['command', 'worker'] as const) {
  it(`a ${role} client whose connect was cut by a failover connects again, and answers`, async () => {
    const client = createRedis(group.url, role, log);
    try {
      await until('ready', 10_000, async () => client.status === 'ready');
      const ended = new Promise<boolean>((resolve) => {
        client.once('end', () => resolve(true));
        setTimeout(() => resolve(false), 5_000).unref();
      });
      await loseConnectWhileReconnecting(client);
      // ioredis ended the client: the moment of the failover is reproduced.
      expect(await ended).toBe(true);
      await until('ready again', 10_000, () => client.status === 'ready');
      expect(await client.ping()).toBe('PONG');
      expect(logged.some((m) => m.includes('connecting again'))).toBe(true);
    } finally {
      await closeRedis(client);
    }
    // Closed by remediator: it stays closed.
    await new Promise((r) => setTimeout(r, 3000));
    expect(client.status).toBe('end');
  }, 30_000);
}
