import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RemediatorError } from '../../src/errors.ts';
import { checkRedisDurability } from '../../src/redis/check.ts';
import { closeRedis, createCommandClient, pingRedis } from '../../src/redis/connect.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.ts';
import { freePort } from '../../src/redis/free-port.ts';
import { answersPing, waitForPing } from '../../src/redis/probe.ts';
import { startTestRedis } from '../harness/redis.ts';

const logged: string[] = [];
const log = { warn: (_obj: object, msg: string) => void logged.push(msg) };

// Everything a test starts is registered here, so a failing test still leaves no process behind.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-redis-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function embedded(dataDir: string, port?: number): Promise<EmbeddedRedis> {
  const server = await startEmbeddedRedis({ dataDir, port });
  cleanups.push(() => server.stop());
  return server;
}

function client(url: string): Redis {
  const redis = createCommandClient(url, log);
  cleanups.push(() => closeRedis(redis));
  return redis;
}

async function ready(redis: Redis, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pingRedis(redis, 500))) {
    if (Date.now() > deadline) throw new Error(`Redis not ready after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function isRunning(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

describe('startEmbeddedRedis', () => {
  it('answers PING on loopback with noeviction and the AOF on', async () => {
    const server = await startTestRedis();
    cleanups.push(() => server.stop());
    expect(server.url).toBe(`redis://:${server.password}@127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(6379);
    const redis = client(server.url);
    await ready(redis);
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(existsSync(join(server.dataDir, 'redis.log'))).toBe(true);
  });

  it('takes another port when the one it picked is taken before redis-server binds it', async () => {
    const holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) =>
      holder.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve),
    );
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
    const taken = (holder.address() as AddressInfo).port;
    const picks = [taken];
    const lines: string[] = [];
    const server = await startEmbeddedRedis({
      dataDir: await tempDir(),
      pickPort: async () => picks.shift() ?? freePort(),
      log: (line) => lines.push(line),
    });
    cleanups.push(() => server.stop());
    expect(server.port).not.toBe(taken);
    expect(lines).toContain(`port ${taken} was taken before redis-server could bind it; trying another`);
    const redis = client(server.url);
    await ready(redis);
  });

  it('keeps data across stop and start on the same data directory', async () => {
    const dataDir = await tempDir();
    const first = await embedded(dataDir);
    const writer = client(first.url);
    await ready(writer);
    await writer.set('remediator:test', 'kept');
    await closeRedis(writer);
    await first.stop();

    const second = await embedded(dataDir);
    const reader = client(second.url);
    await ready(reader);
    expect(await reader.get('remediator:test')).toBe('kept');
  });

  it('leaves no process and no listener after stop', async () => {
    const server = await embedded(await tempDir());
    expect(isRunning(server.pid)).toBe(true);
    await server.stop();
    await server.stop(); // a second call is harmless
    expect(isRunning(server.pid)).toBe(false);
    expect(await answersPing(server.port)).toBe(false);
  });

  it('says how to install redis-server when the binary is missing', async () => {
    const dataDir = await tempDir();
    const started = startEmbeddedRedis({ dataDir, redisServer: '/nonexistent/redis-server' });
    await expect(started).rejects.toBeInstanceOf(RemediatorError);
    await expect(started).rejects.toMatchObject({
      code: 'E_REDIS_MISSING',
      message: expect.stringMatching(/sudo apt-get install redis-server.*REDIS_URL/),
    });
  });

  it('reports the log tail when redis-server refuses to start', async () => {
    const blocker = await embedded(await tempDir());
    const started = startEmbeddedRedis({
      dataDir: await tempDir(),
      port: blocker.port,
      startTimeoutMs: 3_000,
    });
    await expect(started).rejects.toMatchObject({
      code: 'E_REDIS',
      message: expect.stringMatching(/already in use/i),
    });
  });

  it('stops an orphan left in the data directory by a crashed run, and keeps its data', async () => {
    const dataDir = await tempDir();
    const orphan = await embedded(dataDir); // never stopped: stands for a crashed remediator
    const writer = client(orphan.url);
    await ready(writer);
    await writer.set('remediator:orphan', 'survived');

    const messages: string[] = [];
    const replacement = await startEmbeddedRedis({ dataDir, log: (msg) => void messages.push(msg) });
    cleanups.push(() => replacement.stop());
    expect(messages[0]).toBe(
      `stopping orphaned redis-server (pid ${orphan.pid}) left in ${dataDir} by a previous run`,
    );
    expect(replacement.pid).not.toBe(orphan.pid);
    expect(isRunning(orphan.pid)).toBe(false);
    const reader = client(replacement.url);
    await ready(reader);
    expect(await reader.get('remediator:orphan')).toBe('survived');
  });

  it('leaves alone a process named in the pidfile that is not its redis-server', async () => {
    const dataDir = await tempDir();
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanups.push(async () => bystander.kill('SIGKILL'));
    await new Promise((done) => bystander.once('spawn', done));
    await writeFile(join(dataDir, 'redis.pid'), `${bystander.pid}\n`);

    await embedded(dataDir);
    expect(bystander.exitCode).toBeNull();
    expect(isRunning(bystander.pid ?? 0)).toBe(true);
  });
});

describe('command client', () => {
  it('fails fast while Redis is down and recovers by itself when it returns', async () => {
    const dataDir = await tempDir();
    const first = await embedded(dataDir);
    const redis = client(first.url);
    await ready(redis);
    await redis.set('remediator:k', 'v');
    await first.stop();

    const began = Date.now();
    await expect(redis.get('remediator:k')).rejects.toThrow();
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(await pingRedis(redis, 500)).toBe(false);

    await embedded(dataDir, first.port);
    await ready(redis, 10_000);
    expect(await redis.get('remediator:k')).toBe('v');
  });
});

describe('checkRedisDurability', () => {
  it('warns about eviction and missing persistence on a careless Redis', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const careless = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dataDir,
        ...['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no', '--save', ''],
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(async () => careless.kill('SIGKILL'));
    expect(await waitForPing(port, 10_000)).toBe(true);
    const redis = client(`redis://127.0.0.1:${port}`);
    await ready(redis);

    const warnings = await checkRedisDurability(redis);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/maxmemory-policy is "allkeys-lru".*noeviction/);
    expect(warnings[1]).toMatch(/no persistence/);
  });

  it('is quiet for the embedded Redis', async () => {
    const server = await startTestRedis();
    cleanups.push(() => server.stop());
    const redis = client(server.url);
    await ready(redis);
    expect(await checkRedisDurability(redis)).toEqual([]);
  });
});
