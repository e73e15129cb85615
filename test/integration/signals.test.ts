import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.ts';
import { descendants, isAlive, pathWithThisNode } from '../harness/proc-tree.ts';

/**
 * What a user or a process manager starts (`npm start`, `node bin/remediator.js serve`) stops with
 * everything it started, the embedded redis-server included, whichever process gets the signal.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  child: ChildProcess;
  url: string;
  data: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** The environment of a user's shell, minus remediator's settings, plus an embedded Redis on a free port. */
async function start(command: string, args: string[], detached = false): Promise<Started> {
  const data = await mkdtemp(join(tmpdir(), 'remediator-signals-'));
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('REMEDIATOR_') && k !== 'REDIS_URL') env[k] = v;
  Object.assign(env, {
    PATH: pathWithThisNode(),
    REMEDIATOR_PORT: String(port),
    REMEDIATOR_DATA_DIR: data,
    REMEDIATOR_SHUTDOWN_GRACE: '5s',
    npm_config_update_notifier: 'false',
  });
  const child = spawn(command, args, { cwd: ROOT, env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    // Only when a test failed: whatever is left of what it started (a stopped tree has no descendants).
    for (const pid of [child.pid!, ...descendants(child.pid!), ...readPid(data)])
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(data, { recursive: true, force: true });
  });
  return { child, url: `http://127.0.0.1:${port}`, data, output: () => output, exited };
}

async function poll(what: string, done: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(done()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ready = (s: Started) =>
  poll('readyz', async () => (await fetch(`${s.url}/readyz`)).status === 200, 30_000);
function readPid(data: string): number[] {
  const file = join(data, 'redis', 'redis.pid');
  return existsSync(file) ? [Number(readFileSync(file, 'utf8'))].filter((pid) => pid > 0) : [];
}
const redisPid = (s: Started) => readPid(s.data)[0] ?? 0;

describe('signals', () => {
  it("npm start: SIGTERM to npm's pid stops the service and its redis-server; no warning at start", async () => {
    const s = await start('npm', ['start']);
    await ready(s);
    const tree = descendants(s.child.pid!);
    expect(tree).toContain(redisPid(s));
    expect(tree.length).toBeGreaterThanOrEqual(2);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    await poll('every process npm started to exit', () => tree.every((pid) => !isAlive(pid)), 10_000);
    expect(s.output()).toContain('"msg":"stopped"');
    // FSTDEP022 (a router option given at the top level) and any other process warning.
    expect(s.output()).not.toMatch(/\(node:\d+\)|Warning:/);
  });

  it('SIGTERM while starting (twice: a repeat is ignored) stops the redis-server already started, exits 0', async () => {
    const s = await start(process.execPath, [join(ROOT, 'bin/remediator.js'), 'serve']);
    const pidFile = join(s.data, 'redis', 'redis.pid');
    await poll(
      'redis-server to start',
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '',
      30_000,
    );
    const redis = redisPid(s);
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output().match(/SIGTERM received, draining/g)).toHaveLength(1);
    await poll('redis-server to exit', () => !isAlive(redis), 10_000);
  });
});
