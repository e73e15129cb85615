import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MEMORY_LIMIT_BYTES } from '../../demo/sim.ts';

/**
 * `npm run demo` end to end: the real stack (Redis, fleet, sshd, HAProxy, Prometheus, Alertmanager,
 * remediator) heals an injected memory leak, and SIGTERM stops every process it started.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Ready {
  dir: string;
  urls: Record<'remediator' | 'docs' | 'prometheus' | 'alertmanager' | 'haproxy', string>;
  instances: Array<{ service: string; instance: number; name: string; url: string }>;
  pids: Record<string, number>;
}

interface Run {
  runbook: string;
  status: string;
  alert: { labels: Record<string, string> };
  steps: Array<{ name: string; status: string }>;
}

let demo: ChildProcess | undefined;
let output = '';
afterAll(() => {
  // Only when the test failed before its own SIGTERM: the demo's exit handler kills its children.
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGTERM');
});

function startDemo(): Promise<Ready> {
  demo = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo not ready within 60 s:\n${output}`)), 60_000);
    demo?.stdout?.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const line = output.split('\n').find((row) => row.startsWith('DEMO_READY '));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('DEMO_READY '.length)) as Ready);
    });
    demo?.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
    demo?.once('exit', (code) =>
      reject(new Error(`demo exited (code ${code}) before it was ready:\n${output}`)),
    );
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function memoryBytes(url: string): Promise<number> {
  const state = (await (await fetch(`${url}/admin/state`)).json()) as { memoryBytes: number };
  return state.memoryBytes;
}

describe('npm run demo', () => {
  it(
    'heals an injected memory leak end to end and stops cleanly on SIGTERM',
    { timeout: 150_000 },
    async () => {
      const t0 = Date.now();
      const ready = await startDemo();
      const readyMs = Date.now() - t0;
      expect(Object.keys(ready.pids).sort()).toEqual(
        ['alertmanager', 'fleet', 'haproxy', 'prometheus', 'redis', 'remediator', 'sshd'].sort(),
      );
      for (const url of [`${ready.urls.remediator}/readyz`, `${ready.urls.prometheus}/-/ready`]) {
        expect((await fetch(url)).status).toBe(200);
      }
      const target = ready.instances.find((item) => item.name === 'app-1:8081');
      expect(target).toBeDefined();
      const { url, name } = target!;

      const injected = Date.now();
      expect((await fetch(`${url}/fault/memory-leak`, { method: 'POST' })).status).toBe(200);
      // ~21 s to cross 90% at 8 MiB/s, `for: 5s`, then Alertmanager, remediator and the verification.
      const run = await until('a succeeded HighMemoryUsage run', 90_000, async () => {
        const { runs } = (await (await fetch(`${ready.urls.remediator}/api/v1/runs`)).json()) as {
          runs: Run[];
        };
        return runs.find(
          (item) =>
            item.status === 'succeeded' &&
            item.alert.labels.alertname === 'HighMemoryUsage' &&
            item.alert.labels.instance === name,
        );
      });
      const healedMs = Date.now() - injected;
      expect(run.runbook).toBe('demo-restart-leaking-service');
      // Released or restarted: either way far below the alert's 90%.
      expect(await memoryBytes(url)).toBeLessThan(0.6 * MEMORY_LIMIT_BYTES);

      const stopAt = Date.now();
      const exited = new Promise<number | null>((resolve) => demo?.once('exit', (code) => resolve(code)));
      demo?.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
      const stopMs = Date.now() - stopAt;
      expect(code).toBe(0);
      expect(stopMs).toBeLessThan(15_000);
      for (const [proc, pid] of Object.entries(ready.pids))
        expect({ proc, alive: alive(pid) }).toEqual({ proc, alive: false });
      const answering = await Promise.all(
        [...Object.values(ready.urls), ...ready.instances.map((item) => item.url)].map((base) =>
          fetch(base, { signal: AbortSignal.timeout(1000) }).then(
            () => base,
            () => undefined,
          ),
        ),
      );
      expect(answering.filter(Boolean)).toEqual([]);
      expect(existsSync(ready.dir)).toBe(false);
      process.stdout.write(
        `demo: ready in ${readyMs} ms, ${run.steps
          .filter((s) => s.status === 'succeeded')
          .map((s) => s.name)
          .join(' -> ')} ` + `healed ${name} ${healedMs} ms after the leak, stopped in ${stopMs} ms\n`,
      );
    },
  );
});
