import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidFile, type FleetInstance } from '../../demo/fleet.ts';
import { startDemoService, type DemoService } from '../../demo/server.ts';
import { BASE_MEMORY_BYTES, MEMORY_LIMIT_BYTES, MIB } from '../../demo/sim.ts';
import { startSupervisor, type Supervisor } from '../../demo/supervise.ts';
import { stopProcess } from '../harness/daemon.ts';
import { startHaproxy, type TestHaproxy } from '../harness/haproxy.ts';
import { freePort } from '../harness/ports.ts';
import { childEnv } from '../harness/child-env.ts';

/**
 * The demo fleet on loopback: demo/service.ts as a real process, demo/supervise.ts restarting real
 * processes (also through demo-restart), and a real HAProxy drained through its admin socket (also
 * through haproxy-cmd).
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const METRICS = [
  'demo_memory_bytes',
  'demo_memory_limit_bytes',
  'demo_requests_total',
  'demo_cpu_busy_ratio',
  'demo_pool_in_use',
  'demo_pool_size',
  'demo_accepting_traffic',
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'remediator-demo-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** The value of one sample in Prometheus text format, e.g. `demo_requests_total{code="500"}`. */
async function sample(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

const post = (url: string, path: string, body?: unknown) =>
  fetch(url + path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });

async function status(url: string, timeoutMs = 1000): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    async (response) => (await response.arrayBuffer(), response.status),
    () => 0,
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const readPid = (service: string, instance: number) =>
  readFile(pidFile(stateDir, service, instance), 'utf8').then((text) => Number(text.trim()));

describe('demo service, a real process', () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    const args = ['demo/service.ts', '--service', 'order-service', '--instance', '1'];
    child = spawn(process.execPath, [...args, '--port', String(port), '--state-dir', stateDir], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    url = `http://127.0.0.1:${port}`;
    await until('the service', async () => ((await status(`${url}/healthz`)) === 200 ? true : undefined));
  });
  afterAll(async () => {
    if (child !== undefined) await stopProcess(child);
  });
  afterEach(async () => {
    await post(url, '/fault/clear');
    await post(url, '/admin/undrain');
    await post(url, '/admin/pool', { maxConnections: 20 });
  });

  it('writes its pid file and exposes every metric, with only `code` as a label', async () => {
    expect(await readPid('order-service', 1)).toBe(child.pid);
    const text = await (await fetch(`${url}/metrics`)).text();
    const names = new Set(text.split('\n').flatMap((line) => line.match(/^demo_\w+/) ?? []));
    expect([...names].sort()).toEqual([...METRICS].sort());
    expect(await sample(url, 'demo_memory_limit_bytes')).toBe(256 * MIB);
    expect(await sample(url, 'demo_accepting_traffic')).toBe(1);
    expect(await sample(url, 'demo_pool_size')).toBe(20);
    expect(text).toContain('demo_requests_total{code="500"} 0');
  });

  it('serves ~20 simulated requests a second on top of GET /', async () => {
    const before = await sample(url, 'demo_requests_total{code="200"}');
    expect(await status(url)).toBe(200);
    await sleep(1000);
    const served = (await sample(url, 'demo_requests_total{code="200"}')) - before;
    expect(served).toBeGreaterThanOrEqual(14);
    expect(served).toBeLessThanOrEqual(27);
  });

  it('leaks memory; release-memory frees it but the leak goes on; at the limit /healthz is 503', async () => {
    expect((await post(url, '/fault/memory-leak', { mibPerSecond: 40 })).status).toBe(200);
    await sleep(600);
    const leaked = await sample(url, 'demo_memory_bytes');
    expect(leaked).toBeGreaterThan(BASE_MEMORY_BYTES + 10 * MIB);
    const released = (await (await post(url, '/admin/release-memory')).json()) as { freedBytes: number };
    expect(released.freedBytes).toBeGreaterThan(10 * MIB);
    expect(await sample(url, 'demo_memory_bytes')).toBeLessThan(BASE_MEMORY_BYTES + 5 * MIB);
    await sleep(600);
    expect(await sample(url, 'demo_memory_bytes')).toBeGreaterThan(BASE_MEMORY_BYTES + 10 * MIB);
    await post(url, '/fault/memory-leak', { mibPerSecond: 1000 });
    await sleep(500);
    expect(await sample(url, 'demo_memory_bytes')).toBe(MEMORY_LIMIT_BYTES);
    expect(await status(`${url}/healthz`)).toBe(503);
  });

  it('a leak that is not releasable: release-memory frees nothing of it, /fault/clear ends it', async () => {
    await post(url, '/fault/clear');
    expect((await post(url, '/fault/memory-leak', { mibPerSecond: 40, releasable: false })).status).toBe(200);
    await sleep(600);
    const leaked = await sample(url, 'demo_memory_bytes');
    expect(leaked).toBeGreaterThan(BASE_MEMORY_BYTES + 10 * MIB);
    const released = (await (await post(url, '/admin/release-memory')).json()) as { freedBytes: number };
    expect(released.freedBytes).toBe(0);
    expect(await sample(url, 'demo_memory_bytes')).toBeGreaterThanOrEqual(leaked);
    expect((await post(url, '/fault/memory-leak', { releasable: 'no' })).status).toBe(400);
    await post(url, '/fault/clear');
    expect(await sample(url, 'demo_memory_bytes')).toBe(BASE_MEMORY_BYTES);
  });

  it('error spike: GET / and simulated traffic answer 500', async () => {
    const before = await sample(url, 'demo_requests_total{code="500"}');
    await post(url, '/fault/error-spike', { ratio: 1 });
    expect(await status(url)).toBe(500);
    await sleep(600);
    expect((await sample(url, 'demo_requests_total{code="500"}')) - before).toBeGreaterThanOrEqual(6);
    expect(await status(`${url}/healthz`)).toBe(200);
  });

  it('cpu burn shows as a busy ratio near 0.95', async () => {
    expect(await sample(url, 'demo_cpu_busy_ratio')).toBeLessThan(0.2);
    await post(url, '/fault/cpu-burn');
    expect(await sample(url, 'demo_cpu_busy_ratio')).toBeCloseTo(0.95);
  });

  it('pool exhaustion: in_use = size and /healthz 503, until /admin/pool grows the pool', async () => {
    await post(url, '/fault/pool-exhaustion');
    expect(await sample(url, 'demo_pool_in_use')).toBe(20);
    expect(await status(`${url}/healthz`)).toBe(503);
    expect((await post(url, '/admin/pool', { maxConnections: 'lots' })).status).toBe(400);
    expect((await post(url, '/admin/pool', { maxConnections: 50 })).status).toBe(200);
    expect(await sample(url, 'demo_pool_size')).toBe(50);
    expect(await sample(url, 'demo_pool_in_use')).toBe(20);
    expect(await status(`${url}/healthz`)).toBe(200);
  });

  it('hang: / and /healthz stop answering while /metrics still does', async () => {
    await post(url, '/fault/hang');
    expect(await status(url, 300)).toBe(0);
    expect(await status(`${url}/healthz`, 300)).toBe(0);
    expect(await sample(url, 'demo_accepting_traffic')).toBe(1);
    await post(url, '/fault/clear');
    expect(await status(`${url}/healthz`)).toBe(200);
  });

  it('drain stops traffic (503, no simulated requests); undrain brings it back', async () => {
    await post(url, '/fault/error-spike', { ratio: 1 });
    await post(url, '/admin/drain');
    expect(await sample(url, 'demo_accepting_traffic')).toBe(0);
    expect(await status(url)).toBe(503);
    const before = await sample(url, 'demo_requests_total{code="500"}');
    await sleep(600);
    expect(await sample(url, 'demo_requests_total{code="500"}')).toBe(before);
    await post(url, '/admin/undrain');
    expect(await sample(url, 'demo_accepting_traffic')).toBe(1);
  });

  it('answers 404 to unknown paths and 405 to GET on a POST route', async () => {
    expect(await status(`${url}/nope`)).toBe(404);
    expect(await status(`${url}/fault/hang`)).toBe(405);
  });
});

describe('supervisor', () => {
  let supervisor: Supervisor;
  let url: string;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const port = await freePort();
    const fleet: FleetInstance[] = [{ service: 'payment-service', instance: 1, port, name: `app-1:${port}` }];
    supervisor = startSupervisor({
      fleet,
      stateDir,
      backoffMs: 100,
      childOutput: 'ignore',
      log: (fields) => logs.push(fields),
    });
    url = `http://127.0.0.1:${port}`;
    await until('the instance', async () => ((await status(`${url}/healthz`)) === 200 ? true : undefined));
  });
  afterAll(async () => {
    await supervisor?.stop();
  });

  /** Injects a leak, runs `kill`, and checks a new process (new pid, no fault) answers. */
  async function restartsFresh(kill: (pid: number) => Promise<unknown>): Promise<void> {
    await post(url, '/fault/memory-leak', { mibPerSecond: 100 });
    await sleep(300);
    expect(await sample(url, 'demo_memory_bytes')).toBeGreaterThan(BASE_MEMORY_BYTES);
    const old = await readPid('payment-service', 1);
    expect(supervisor.pids().get('payment-service-1')).toBe(old);
    await kill(old);
    await until('a new instance', async () => {
      const pid = await readPid('payment-service', 1);
      return pid !== old && (await status(`${url}/healthz`)) === 200 ? pid : undefined;
    });
    expect(await sample(url, 'demo_memory_bytes')).toBe(BASE_MEMORY_BYTES);
    const state = (await (await fetch(`${url}/admin/state`)).json()) as {
      faults: { leakBytesPerSecond: number };
    };
    expect(state.faults.leakBytesPerSecond).toBe(0);
  }

  it('starts an instance that was killed again, fresh', async () => {
    await restartsFresh(async (pid) => process.kill(pid, 'SIGKILL'));
    expect(logs.some((entry) => entry.msg === 'instance exited' && entry.signal === 'SIGKILL')).toBe(true);
  });

  const demoRestart = (...args: string[]) =>
    promisify(execFile)(join(ROOT, 'demo/bin/demo-restart'), args, {
      env: childEnv({ DEMO_STATE_DIR: stateDir }),
    });

  it('writes the instances file that demo-restart reads: service, name, number', async () => {
    const port = new URL(url).port;
    expect(await readFile(join(stateDir, 'instances'), 'utf8')).toBe(`payment-service app-1:${port} 1\n`);
  });

  it('demo-restart <service> <n> is a restart (state dir from $DEMO_STATE_DIR)', async () => {
    await restartsFresh(async () => {
      const { stdout } = await demoRestart('payment-service', '1');
      expect(stdout).toContain('sent SIGTERM to payment-service-1');
    });
  });

  it('demo-restart <service> <instance name> is a restart too', async () => {
    await restartsFresh(async () => {
      const { stdout } = await demoRestart('payment-service', `app-1:${new URL(url).port}`);
      expect(stdout).toContain('sent SIGTERM to payment-service-1');
    });
  });

  it('demo-restart refuses an unknown service (2) and an unknown instance (1)', async () => {
    await expect(demoRestart('evil;rm', '1')).rejects.toMatchObject({ code: 2 });
    await expect(demoRestart('payment-service', 'app-9:1')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no instance app-9:1 of payment-service'),
    });
  });
});

describe('HAProxy in front of the fleet', () => {
  const services: DemoService[] = [];
  let haproxy: TestHaproxy;
  let fleet: FleetInstance[];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      services.push(await startDemoService({ service: 'user-service', instance: i + 1, port: 0 }));
    }
    fleet = services.map((service, i) => ({
      service: 'user-service',
      instance: i + 1,
      port: service.port,
      name: `app-${i + 1}:${service.port}`,
    }));
    haproxy = await startHaproxy(fleet);
    await until('both servers UP', async () => {
      const states = await Promise.all(fleet.map((item) => serverStatus(item.name)));
      return states.every((state) => state === 'UP') ? true : undefined;
    });
  });
  afterAll(async () => {
    await haproxy?.stop();
    await Promise.all(services.map((service) => service.close()));
  });

  /** `status` column of `show stat` for a user-service server: UP, DOWN, DRAIN, MAINT, ... */
  async function serverStatus(name: string): Promise<string | undefined> {
    const [header = '', ...rows] = (await haproxy.command('show stat')).trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const row = rows
      .map((line) => line.split(','))
      .find((cells) => cells[0] === 'user-service' && cells[1] === name);
    return row?.[columns.indexOf('status')];
  }

  async function servedBy(requests: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`${haproxy.url}/user-service/`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { service: string }).service).toBe('user-service');
      seen.add(response.headers.get('x-served-by') ?? '');
    }
    return seen;
  }

  it('routes /user-service/ to both servers, named host:port', async () => {
    expect(await servedBy(6)).toEqual(new Set(fleet.map((item) => item.name)));
  });

  it('drains a server through the admin socket, and traffic avoids it', async () => {
    const [drained, other] = fleet.map((item) => item.name);
    // The drain-erroring-instance runbook's exact command line.
    expect((await haproxy.command(`set server user-service/${drained} state drain`)).trim()).toBe('');
    expect(await serverStatus(drained!)).toBe('DRAIN');
    const state = await haproxy.command('show servers state user-service');
    // srv_admin_state 8 = SRV_ADMF_DRAIN (set from the runtime API).
    expect(state).toMatch(new RegExp(`user-service \\d+ ${drained} 127\\.0\\.0\\.1 \\d+ 8 `));
    expect(await servedBy(6)).toEqual(new Set([other]));
    await haproxy.command(`set server user-service/${drained} state ready`);
    expect(await serverStatus(drained!)).toBe('UP');
  });

  it('haproxy-cmd sends its stdin to $HAPROXY_SOCKET, as the drain runbook does over SSH', async () => {
    const [drained] = fleet.map((item) => item.name);
    const haproxyCmd = (input: string) => {
      const run = promisify(execFile)(join(ROOT, 'demo/bin/haproxy-cmd'), [], {
        env: childEnv({ HAPROXY_SOCKET: haproxy.socketPath }),
      });
      run.child.stdin?.end(input);
      return run;
    };
    await haproxyCmd(`set server user-service/${drained} state drain\n`);
    expect(await serverStatus(drained!)).toBe('DRAIN');
    await haproxyCmd(`set server user-service/${drained} state ready\n`);
    expect(await serverStatus(drained!)).toBe('UP');
    await expect(haproxyCmd('set server user-service/app-9:1 state drain\n')).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining('No such server'),
    });
  });

  it('takes a server whose /healthz fails (memory at its limit) out of rotation', async () => {
    const [sick, other] = fleet.map((item) => item.name);
    services[0]!.sim.faults.leakBytesPerSecond = MEMORY_LIMIT_BYTES * 10;
    await until('the server DOWN', async () => ((await serverStatus(sick!)) === 'DOWN' ? true : undefined));
    expect(await servedBy(4)).toEqual(new Set([other]));
  });
});
