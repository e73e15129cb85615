import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { freePort } from '../harness/ports.ts';
import { fixture, payload } from '../harness/payloads.ts';
import { startTestRedis } from '../harness/redis.ts';
import { startSshd } from '../harness/sshd.ts';
import { childEnv } from '../harness/child-env.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the real CLI as a user would; the env holds only what the test gives (plus PATH). */
function remediator(args: string[], env: Record<string, string>, cwd = ROOT): Proc {
  const child = spawn(process.execPath, [join(ROOT, 'bin/remediator.js'), ...args], {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, output: () => output, exited };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('remediator serve', () => {
  it('starts with the bundled examples and its own redis-server, accepts the fixtures, stops on SIGTERM', async () => {
    const data = await mkdtemp(join(tmpdir(), 'remediator-data-'));
    cleanups.push(() => rm(data, { recursive: true, force: true }));
    const port = await freePort();
    const proc = remediator(['serve'], { REMEDIATOR_PORT: String(port), REMEDIATOR_DATA_DIR: data });
    const url = `http://127.0.0.1:${port}`;
    const ready = await until('readyz', async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 ? ((await res.json()) as unknown) : undefined;
    });
    expect(ready).toEqual({ status: 'ready', checks: { redis: 'ok', runbooks: 4 } });
    expect(proc.output()).toContain('NO WEBHOOK AUTHENTICATION');
    // The approval-secret fingerprint (for the replica mismatch warning) reached the fresh Redis.
    expect(proc.output()).not.toContain('could not record the approval secret fingerprint');
    for (const name of [
      '01-firing-group-of-3',
      '02-ha-peer-duplicate-of-01',
      '03-truncated-max-alerts-2',
      '04-one-resolved-two-firing',
      '05-repeat-interval-resend',
      '06-group-resolved',
    ]) {
      const res = await fetch(`${url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fixture(name)),
      });
      expect(res.status, name).toBe(202);
    }
    const redisPid = Number(readFileSync(join(data, 'redis', 'redis.pid'), 'utf8'));
    expect(existsSync(join(data, 'redis', 'appendonlydir'))).toBe(true);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(existsSync(`/proc/${redisPid}`)).toBe(false);
  });

  it("refuses a data directory a running instance owns (it would stop that instance's Redis)", async () => {
    const data = await mkdtemp(join(tmpdir(), 'remediator-data-'));
    cleanups.push(() => rm(data, { recursive: true, force: true }));
    const port = await freePort();
    const first = remediator(['serve'], { REMEDIATOR_PORT: String(port), REMEDIATOR_DATA_DIR: data });
    await until('readyz', async () =>
      (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined,
    );
    const second = remediator(['serve'], { REMEDIATOR_PORT: '0', REMEDIATOR_DATA_DIR: data });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`in use by remediator process ${first.child.pid}`);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('exits with a hint when redis-server is not installed and REDIS_URL is unset', async () => {
    const data = await mkdtemp(join(tmpdir(), 'remediator-data-'));
    cleanups.push(() => rm(data, { recursive: true, force: true }));
    const proc = remediator(['serve'], {
      PATH: '/nonexistent',
      REMEDIATOR_PORT: '0',
      REMEDIATOR_DATA_DIR: data,
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('apt-get install redis-server');
    expect(proc.output()).toContain('REDIS_URL');
  });

  it('on SIGTERM takes no new work, lets the running step finish, and exits 0', async () => {
    const [redis, sshd] = await Promise.all([startTestRedis(), startSshd()]);
    cleanups.push(
      () => redis.stop(),
      () => sshd.stop(),
    );
    const dir = await mkdtemp(join(tmpdir(), 'remediator-cfg-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'runbooks'));
    await writeFile(
      join(dir, 'runbooks', 'slow.yaml'),
      `
name: slow
match: ['alertname = "Slow"']
target: box
steps:
  - name: sleep-then-mark
    ssh: { command: [sh, -c, 'sleep 2; touch "$1"', sh, "${sshd.dir}/{{alert.fingerprint}}"], timeout: 20s }
`,
    );
    await writeFile(
      join(dir, 'inventory.yaml'),
      `
targets:
  box: { ssh: { host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" } }
`,
    );
    const port = await freePort();
    const proc = remediator(
      ['serve'],
      { REDIS_URL: redis.url, REMEDIATOR_PORT: String(port), REMEDIATOR_CONCURRENCY: '1' },
      dir,
    );
    const url = `http://127.0.0.1:${port}`;
    await until('readyz', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined));
    const first = payload([{ labels: { alertname: 'Slow' } }]);
    const second = payload([{ labels: { alertname: 'Slow', n: '2' } }]);
    for (const body of [first, second]) {
      await fetch(`${url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    }
    const id = runId('slow', first.alerts[0]!.fingerprint, first.alerts[0]!.startsAt);
    const id2 = runId('slow', second.alerts[0]!.fingerprint, second.alerts[0]!.startsAt);
    const client = new Redis(redis.url);
    cleanups.push(async () => client.disconnect());
    const status = () => client.hget(`remediator:run:${id}`, 'status');
    await until('step running', async () => ((await status()) === 'running' ? true : undefined));
    proc.child.kill('SIGTERM');
    await until('http closed', async () => {
      try {
        await fetch(`${url}/healthz`);
        return undefined;
      } catch {
        return true;
      }
    });
    expect(await proc.exited).toBe(0);
    expect(await status()).toBe('succeeded');
    // Concurrency 1: the second run was waiting behind the first and must not have been taken.
    expect(await client.hget(`remediator:run:${id2}`, 'status')).toBe('queued');
    expect(existsSync(join(sshd.dir, first.alerts[0]!.fingerprint))).toBe(true);
    expect(proc.output()).toContain('SIGTERM received, draining');
  });
});
