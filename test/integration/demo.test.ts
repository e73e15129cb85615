import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_LIMIT_BYTES } from '../../demo/sim.ts';
import { runtimeCommand } from '../../demo/stack/haproxy-socket.ts';
import { descendants, isAlive } from '../harness/proc-tree.ts';
import { seriesValues, startDemo, until, type DemoFaultInfo, type RunningDemo } from '../harness/demo.ts';

/**
 * `npm run demo` end to end: the real stack (Redis, fleet, sshd, HAProxy, Prometheus, Alertmanager,
 * remediator with the runbooks of runbooks/) heals the four faults it suggests, injected at once on
 * four instances exactly as it prints them, and SIGTERM stops every process it started.
 */
interface Run {
  finishedAt: string;
  runbook: string;
  target: string;
  status: string;
  steps: Array<{ name: string; status: string; undo?: { status: string } }>;
}
interface InstanceState {
  pid: number;
  poolSize: number;
  faults: { errorRatio: number; cpuBurn: boolean };
}

let demo: RunningDemo | undefined;
let injectedAt = 0;
const pidsBefore = new Map<string, number>();
/** HAProxy admin states (`srv_admin_state`) of the error-spike instance, polled while the test runs. */
const adminStates = new Set<number>();
let polling: NodeJS.Timeout | undefined;

beforeAll(async () => {
  const startAt = Date.now();
  // Free ports: inventory.yaml names 127.0.0.1:8081..., which other tests' remediator (serve.test.ts,
  // with the repository's runbooks) may call while this file runs.
  demo = await startDemo(['--random-ports']);
  process.stdout.write(`demo: ready in ${Date.now() - startAt} ms\n`);
}, 120_000);
afterAll(async () => {
  clearInterval(polling);
  // Only when a test failed before its own SIGTERM: the demo's exit handler kills its children.
  await demo?.stop(15_000);
});

const ready = () => demo!.ready;
const fault = (name: string): DemoFaultInfo => {
  const found = ready().faults.find((item) => item.fault === name);
  if (found === undefined) throw new Error(`the demo offers no ${name}`);
  return found;
};
const instanceState = async (url: string) =>
  (await (await fetch(`${url}/admin/state`)).json()) as InstanceState;

/** One `show servers state <backend>` row of a server: admin state (8 = drained), op state (2 = up). */
async function serverState(backend: string, server: string): Promise<{ admin: number; op: number }> {
  const text = await runtimeCommand(ready().haproxySocket, `show servers state ${backend}`);
  const [header = '', ...rows] = text.trim().split('\n').slice(1);
  const columns = header.replace(/^# /, '').split(' ');
  const row = rows.map((line) => line.split(' ')).find((cells) => cells[3] === server);
  if (row === undefined) throw new Error(`no server ${backend}/${server} in:\n${text}`);
  const cell = (name: string) => Number(row[columns.indexOf(name)]);
  return { admin: cell('srv_admin_state'), op: cell('srv_op_state') };
}

/** The first succeeded run of `item`'s runbook on its instance. */
function healed(item: DemoFaultInfo): Promise<Run> {
  const query = new URLSearchParams({ runbook: item.runbook, target: item.name, status: 'succeeded' });
  return until(`a succeeded ${item.runbook} run on ${item.name}`, 120_000, async () => {
    const response = await fetch(`${ready().urls.remediator}/api/v1/runs?${query}`);
    const { runs } = (await response.json()) as { runs: Run[] };
    const run = runs.at(-1);
    if (run !== undefined) {
      const ms = Date.parse(run.finishedAt) - injectedAt;
      process.stdout.write(`demo: ${item.fault} healed (run ended) ${ms} ms after injection\n`);
    }
    return run;
  });
}

/** True when the series rose to `high` or above and later fell to `low` or below. */
const roseThenFell = (values: number[], high: number, low: number) => {
  const peak = values.findIndex((value) => value >= high);
  return peak >= 0 && values.slice(peak).some((value) => value <= low);
};

describe('npm run demo', () => {
  it('starts every part and takes the four faults as printed', async () => {
    expect(Object.keys(ready().pids).sort()).toEqual(
      ['alertmanager', 'fleet', 'haproxy', 'prometheus', 'redis', 'remediator', 'sshd'].sort(),
    );
    for (const url of [`${ready().urls.remediator}/readyz`, `${ready().urls.prometheus}/-/ready`]) {
      expect((await fetch(url)).status).toBe(200);
    }
    expect(
      ready()
        .faults.map((item) => item.fault)
        .sort(),
    ).toEqual(['cpu-burn', 'error-spike', 'memory-leak', 'pool-exhaustion'].sort());
    const spike = fault('error-spike');
    expect(await serverState(spike.service, spike.name)).toEqual({ admin: 0, op: 2 });
    polling = setInterval(() => {
      serverState(spike.service, spike.name).then(
        ({ admin }) => adminStates.add(admin),
        () => {},
      );
    }, 250);
    injectedAt = Date.now();
    for (const item of ready().faults) {
      pidsBefore.set(item.fault, (await instanceState(item.url)).pid);
      // The command the demo printed, run as printed: curl -XPOST <url>/fault/<fault>
      expect(item.inject).toBe(`curl -XPOST ${item.url}/fault/${item.fault}`);
      expect(demo!.output()).toContain(`    break: ${item.inject}\n`);
      const [, , url = ''] = item.inject.split(' ');
      expect((await fetch(url, { method: 'POST' })).status).toBe(200);
    }
  });

  it('heals the memory leak: memory released (or the instance restarted)', { timeout: 150_000 }, async () => {
    const item = fault('memory-leak');
    const run = await healed(item);
    expect(run.steps[0]).toMatchObject({ name: 'release-memory', status: 'succeeded' });
    const memory = await seriesValues(
      ready().urls.prometheus,
      `demo_memory_bytes{instance="${item.name}"}`,
      injectedAt,
    );
    expect(roseThenFell(memory, 0.9 * MEMORY_LIMIT_BYTES, 0.5 * MEMORY_LIMIT_BYTES)).toBe(true);
  });

  it(
    'heals the error spike: drained in HAProxy, restarted, back in rotation',
    { timeout: 150_000 },
    async () => {
      const item = fault('error-spike');
      const run = await healed(item);
      expect(run.steps.map(({ name, status, undo }) => ({ name, status, undo: undo?.status }))).toEqual([
        { name: 'drain', status: 'succeeded', undo: 'succeeded' },
        { name: 'restart', status: 'succeeded', undo: undefined },
      ]);
      // The drain was real: HAProxy held the server in DRAIN (admin state 8) during the run...
      expect([...adminStates]).toContain(8);
      // ...and it is READY again afterwards; UP once its health checks pass after the restart.
      await until('the server back UP and not drained', 30_000, async () => {
        const state = await serverState(item.service, item.name);
        return state.admin === 0 && state.op === 2 ? true : undefined;
      });
      const now = await instanceState(item.url);
      expect(now.pid).not.toBe(pidsBefore.get(item.fault));
      expect(now.faults.errorRatio).toBe(0);
    },
  );

  it('heals the CPU burn by restarting the instance over SSH', { timeout: 150_000 }, async () => {
    const item = fault('cpu-burn');
    const run = await healed(item);
    expect(run.steps).toMatchObject([{ name: 'restart', status: 'succeeded' }]);
    const now = await instanceState(item.url);
    expect(now.pid).not.toBe(pidsBefore.get(item.fault));
    expect(now.faults.cpuBurn).toBe(false);
    const busy = await seriesValues(
      ready().urls.prometheus,
      `demo_cpu_busy_ratio{instance="${item.name}"}`,
      injectedAt,
    );
    expect(roseThenFell(busy, 0.9, 0.5)).toBe(true);
  });

  it('heals the pool exhaustion by growing the pool, without a restart', { timeout: 150_000 }, async () => {
    const item = fault('pool-exhaustion');
    const run = await healed(item);
    expect(run.steps).toMatchObject([{ name: 'grow-pool', status: 'succeeded' }]);
    const now = await instanceState(item.url);
    expect(now.pid).toBe(pidsBefore.get(item.fault));
    expect(now.poolSize).toBe(50);
  });

  it('stops cleanly on SIGTERM', { timeout: 30_000 }, async () => {
    clearInterval(polling);
    const { pids, urls, instances, dir } = ready();
    // Everything below npm's pid: the demo's node, the stack, the fleet's instances, the service's Redis.
    const tree = descendants(demo!.child.pid!);
    expect(tree.length).toBeGreaterThan(Object.keys(pids).length);
    const stopAt = Date.now();
    expect(await demo!.stop(15_000)).toBe(0);
    process.stdout.write(`demo: stopped in ${Date.now() - stopAt} ms\n`);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const [proc, pid] of Object.entries(pids))
      expect({ proc, alive: alive(pid) }).toEqual({ proc, alive: false });
    expect(tree.filter(isAlive)).toEqual([]);
    const answering = await Promise.all(
      [...Object.values(urls), ...instances.map((item) => item.url)].map((base) =>
        fetch(base, { signal: AbortSignal.timeout(1000) }).then(
          () => base,
          () => undefined,
        ),
      ),
    );
    expect(answering.filter(Boolean)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
