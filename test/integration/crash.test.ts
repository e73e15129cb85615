import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { policyKeys } from '../../src/policy/keys.ts';
import { lockKeys } from '../../src/stores/redis-lock-store.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { freePort } from '../harness/ports.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startSshd, type Sshd } from '../harness/sshd.ts';
import { childEnv } from '../harness/child-env.ts';

/**
 * What happens to a run when the process acting on it dies, stalls or loses its target lock: real
 * `remediator serve` processes (killed with SIGKILL, paused with SIGSTOP) on one real Redis, real
 * OpenSSH, escalations to a real HTTP server that records them.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const POLICY = `policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '', breaker: { failures: 100 } }`;

let sshd: Sshd;
let pager: RoutedHttp;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  [sshd, pager] = await Promise.all([startSshd(), startRoutedHttp()]);
  pager.route('POST', '/escalate', { status: 200, body: 'ok' });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await Promise.all([sshd?.stop(), pager?.stop()]);
});

/** A step that takes `seconds`, appending `start` and `end` lines to a file on the host. */
function slowStep(file: string, seconds: number): string {
  return `[sh, -c, 'echo start >> "$1"; sleep ${seconds}; echo end >> "$1"', sh, "${file}"]`;
}

/** SSH targets on the test's sshd; those named in `http` also get an HTTP base URL. */
const inventory = (targets: string[], http: Record<string, string> = {}) => `
defaults:
  ssh: { host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" }
targets:
${targets.map((t) => `  ${t}: { ssh: {}${http[t] ? `, http: { baseUrl: "${http[t]}" }` : ''} }`).join('\n')}
`;

/** Writes runbooks and an inventory to a fresh directory, the working directory of the processes. */
async function configDir(
  runbooks: Record<string, string>,
  targets: string[],
  http: Record<string, string> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-crash-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'runbooks'));
  for (const [name, text] of Object.entries(runbooks)) await writeFile(join(dir, 'runbooks', name), text);
  await writeFile(join(dir, 'inventory.yaml'), inventory(targets, http));
  return dir;
}

interface Proc {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<unknown>;
}

/** Starts `node bin/remediator.js serve` as a user would, and waits until it is ready. */
async function serve(dir: string, redis: TestRedis): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin/remediator.js'), 'serve'], {
    cwd: dir,
    env: {
      ...childEnv(),
      REDIS_URL: redis.url,
      REMEDIATOR_PORT: String(port),
      // Stalled jobs come back within about twice this.
      REMEDIATOR_LOCK_TTL: '2s',
      REMEDIATOR_ESCALATION_WEBHOOKS: `${pager.baseUrl}/escalate`,
      REMEDIATOR_RATE_LIMIT: '10000 per 1h',
      REMEDIATOR_MAX_IN_FLIGHT: '100',
      REMEDIATOR_LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  await until(
    `remediator on port ${port} to be ready`,
    async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });
  return { child, url, output: () => output, exited };
}

async function kill(proc: Proc, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  proc.child.kill(signal);
  if (signal === 'SIGKILL') await proc.exited;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Posts one firing alert to a process; returns the id of the run `runbook` makes of it. */
async function fire(proc: Proc, runbook: string, alertname: string): Promise<string> {
  const body = payload([{ labels: { alertname }, fingerprint: randomBytes(8).toString('hex') }]);
  const res = await fetch(`${proc.url}/hooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  const { fingerprint, startsAt } = body.alerts[0]!;
  return runId(runbook, fingerprint, startsAt);
}

function lines(file: string, word: string): number {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return text.split('\n').filter((l) => l === word).length;
}

/** Reads a run straight from Redis (whichever process wrote it). */
function runReader(redis: Redis) {
  const get = async (id: string) => {
    const doc = await redis.hget(`remediator:run:${id}`, 'doc');
    return doc === null ? undefined : (JSON.parse(doc) as RunRecord);
  };
  const ended = async (id: string, timeoutMs = 20_000): Promise<RunRecord> => {
    let run: RunRecord | undefined;
    await until(
      `run ${id} to end`,
      async () => {
        run = await get(id);
        return run !== undefined && !['queued', 'running'].includes(run.status);
      },
      timeoutMs,
    );
    return run!;
  };
  return { get, ended };
}

function escalationsFor(id: string): Array<Record<string, unknown>> {
  return pager.requests
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .filter((e) => e['runId'] === id);
}

describe('a serve process killed (SIGKILL) in the middle of an SSH step', () => {
  let redis: TestRedis;
  let client: Redis;
  let first: Proc;
  let second: Proc;
  const files = { once: '', twice: '' };
  const ids = { once: '', twice: '' };

  beforeAll(async () => {
    redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    client = new Redis(redis.url);
    cleanups.push(async () => client.disconnect());
    const tag = randomBytes(4).toString('hex');
    files.once = join(sshd.dir, `once-${tag}`);
    files.twice = join(sshd.dir, `twice-${tag}`);
    const dir = await configDir(
      {
        'once.yaml': `
name: not-idempotent
match: ['alertname = "Once"']
target: box-1
${POLICY}
steps:
  - name: slow
    ssh: { command: ${slowStep(files.once, 4)}, timeout: 30s }
`,
        'twice.yaml': `
name: idempotent
match: ['alertname = "Twice"']
target: box-2
${POLICY}
steps:
  - name: slow
    idempotent: true
    ssh: { command: ${slowStep(files.twice, 4)}, timeout: 30s }
`,
      },
      ['box-1', 'box-2'],
    );
    first = await serve(dir, redis);
    ids.once = await fire(first, 'not-idempotent', 'Once');
    ids.twice = await fire(first, 'idempotent', 'Twice');
    await until('both steps to start', () => lines(files.once, 'start') + lines(files.twice, 'start') === 2);
    await kill(first, 'SIGKILL');
    second = await serve(dir, redis);
  });

  it('does not run a non-idempotent step again: the run ends unknown (E_INTERRUPTED) and escalates', async () => {
    const run = await runReader(client).ended(ids.once);
    expect(run).toMatchObject({ status: 'unknown', reason: 'E_INTERRUPTED' });
    expect(run.message).toBe('interrupted during step "slow": not marked idempotent, so not run again');
    expect(run.steps[0]).toMatchObject({ name: 'slow', status: 'failed', errorCode: 'E_INTERRUPTED' });
    expect(run.steps[0]!.retried).toBeUndefined();
    await until('the escalation to arrive', () => escalationsFor(ids.once).length > 0, 5000);
    expect(escalationsFor(ids.once)).toEqual([
      expect.objectContaining({
        kind: 'remediator.escalation',
        runbook: 'not-idempotent',
        target: 'box-1',
        status: 'unknown',
        reason: 'E_INTERRUPTED',
        steps: [{ name: 'slow', status: 'failed', errorCode: 'E_INTERRUPTED' }],
      }),
    ]);
    expect(run.escalations).toEqual([expect.objectContaining({ ok: true, status: 200 })]);
    // Long enough for a second execution to have written its line had there been one.
    await new Promise((r) => setTimeout(r, 1000));
    expect(lines(files.once, 'start')).toBe(1);
    expect(second.output()).toContain('interrupted during step');
  });

  it('runs an idempotent step once more: the run succeeds and the step shows retried', async () => {
    const run = await runReader(client).ended(ids.twice);
    expect(run).toMatchObject({ status: 'succeeded', reason: 'ok' });
    expect(run.steps[0]).toMatchObject({ name: 'slow', status: 'succeeded', exitCode: 0, retried: true });
    expect(lines(files.twice, 'start')).toBe(2);
    expect(lines(files.twice, 'end')).toBeGreaterThanOrEqual(1);
    expect(escalationsFor(ids.twice)).toEqual([]);
    expect(second.output()).toContain('retrying its idempotent step once');
    // The retry gave the target lock back.
    expect(await client.exists(lockKeys('remediator:', policyKeys.targetLock('box-2')).lock)).toBe(0);
  });
});

describe('a serve process killed (SIGKILL) while it checks a step', () => {
  it('goes on with the check in the next process, without running the step again', async () => {
    const redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const client = new Redis(redis.url);
    cleanups.push(async () => client.disconnect());
    const app = await startRoutedHttp();
    cleanups.push(() => app.stop());
    app.route('GET', '/healthz', { status: 503 });
    const file = join(sshd.dir, `checked-${randomBytes(4).toString('hex')}`);
    const dir = await configDir(
      {
        'checked.yaml': `
name: checked
match: ['alertname = "Checked"']
target: box-5
${POLICY}
steps:
  - name: once
    ssh: { command: [sh, -c, 'echo start >> "$1"', sh, "${file}"] }
    verify: { http: { path: /healthz, expect: 200 }, within: 60s }
`,
      },
      ['box-5'],
      { 'box-5': app.baseUrl },
    );
    const first = await serve(dir, redis);
    const id = await fire(first, 'checked', 'Checked');
    await until(
      'the check to poll',
      () => lines(file, 'start') === 1 && app.calls().includes('GET /healthz'),
    );
    await kill(first, 'SIGKILL');
    app.route('GET', '/healthz', { status: 200 });
    const second = await serve(dir, redis);
    const run = await runReader(client).ended(id);
    // The action had finished; only its check was cut off. The next process checked, and it passed.
    expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(run.steps[0]).toMatchObject({ name: 'once', status: 'succeeded', verify: { ok: true } });
    expect(run.steps[0]!.retried).toBeUndefined();
    expect(lines(file, 'start')).toBe(1);
    expect(escalationsFor(id)).toEqual([]);
    expect(second.output()).toContain('no step was in flight');
  });
});

describe('a serve process paused (SIGSTOP) past its lock, then resumed', () => {
  it('does not act again once another process has taken the run over', async () => {
    const redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const client = new Redis(redis.url);
    cleanups.push(async () => client.disconnect());
    const tag = randomBytes(4).toString('hex');
    const file = join(sshd.dir, `paused-${tag}`);
    const dir = await configDir(
      {
        'paused.yaml': `
name: paused
match: ['alertname = "Paused"']
target: box-3
${POLICY}
steps:
  - name: slow
    idempotent: true
    ssh: { command: ${slowStep(file, 3)}, timeout: 30s }
  - name: once
    ssh: { command: [sh, -c, 'echo once >> "$1"', sh, "${file}"] }
`,
      },
      ['box-3'],
    );
    const first = await serve(dir, redis);
    const id = await fire(first, 'paused', 'Paused');
    await until('the first step to start', () => lines(file, 'start') === 1);
    // A pause (GC, VM migration, SIGSTOP) longer than the lock: the second process takes the run over.
    // Paused first, then the second started: started first, its start-up (seconds on a loaded machine)
    // once outlasted the 3 s step, and the pause caught the first process in the next step instead.
    await kill(first, 'SIGSTOP');
    const second = await serve(dir, redis);
    // The takeover is a chain of timers: the job lock lapses (2 s), BullMQ's stalled check needs two
    // passes (2 s apart) to move the job back, then the second process connects over SSH (its first
    // connection, loading the SSH client). About 5.5 s on a quiet machine; CI's own two test workers
    // have stretched it past 15 s. The assertions below do not depend on how long it took.
    await until('the second process to retry the step', () => lines(file, 'start') === 2, 40_000).catch(
      (err: unknown) => {
        // Say where the chain stopped: the second process's log holds the lock, stall and SSH steps.
        throw new Error(`${String(err)}\n--- second process, last lines:\n${second.output().slice(-4000)}`);
      },
    );
    // The paused process wakes up while the retry is still running.
    await kill(first, 'SIGCONT');
    await runReader(client).ended(id, 20_000);
    // Let the retry finish too (and anything else still going), then look at what really happened.
    await until('the retry to end', () => lines(file, 'end') >= 2, 6000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const run = await runReader(client).get(id);
    // The woken process was fenced off: only the process that took the run over acted on, and ran the
    // non-idempotent step exactly once, after its retry of the first step had ended.
    const written = readFileSync(file, 'utf8').trim().split('\n');
    expect(written.filter((l) => l === 'once')).toHaveLength(1);
    expect(written.slice(-2)).toEqual(['end', 'once']);
    expect(run).toMatchObject({ status: 'succeeded', reason: 'ok' });
    expect(run!.steps.map((s) => [s.name, s.status])).toEqual([
      ['slow', 'succeeded'],
      ['once', 'succeeded'],
    ]);
    expect(run!.steps[0]).toMatchObject({ retried: true });
    expect(second.output()).toContain('retrying its idempotent step once');
  }, 90_000);
});

describe('a run that loses its target lock mid-step', () => {
  let svc: TestService;
  let app: RoutedHttp;
  let client: Redis;

  beforeAll(async () => {
    app = await startRoutedHttp();
    cleanups.push(() => app.stop());
    svc = await startTestService({
      runbooks: {
        'lost.yaml': `
name: lost
match: ['alertname = "Lost"']
target: "{{labels.box}}"
${POLICY}
steps:
  - name: slow
    ssh: { command: [sh, -c, 'echo start >> "$1"; sleep 5; echo end >> "$1"', sh, "${sshd.dir}/lost-{{alert.fingerprint}}"], timeout: 30s }
`,
        'lost-undo.yaml': `
name: lost-undo
match: ['alertname = "LostUndo"']
target: "{{labels.box}}"
${POLICY}
steps:
  - name: drain
    http: { path: /drain }
    undo: { http: { path: /undrain } }
  - name: slow
    ssh: { command: [sh, -c, 'echo start >> "$1"; sleep 5', sh, "${sshd.dir}/lost-{{alert.fingerprint}}"], timeout: 30s }
`,
        'lost-breaker.yaml': `
name: lost-breaker
match: ['alertname = "LostBreaker"']
target: "{{labels.box}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '', breaker: { failures: 1 } }
steps:
  - name: slow
    ssh: { command: [sh, -c, 'echo start >> "$1"; sleep 5', sh, "${sshd.dir}/lost-{{alert.fingerprint}}"], timeout: 30s }
`,
        'lost-verify.yaml': `
name: lost-verify
match: ['alertname = "LostVerify"']
target: box-c
${POLICY}
steps:
  - name: gentle
    http: { path: /gentle }
    verify: { http: { path: /healthz }, within: 10s }
  - name: strong
    http: { path: /strong }
`,
      },
      inventory: `
defaults:
  ssh: { host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, key: ${sshd.keyFile}, hostKey: "${sshd.hostKey}" }
targets:
  box-a: { ssh: {}, http: { baseUrl: "${app.baseUrl}" } }
  box-b: { ssh: {}, http: { baseUrl: "${app.baseUrl}" } }
  box-c: { http: { baseUrl: "${app.baseUrl}" } }
  box-d: { ssh: {} }
`,
      env: {
        // Renewed every 500 ms.
        REMEDIATOR_LOCK_TTL: '1500ms',
        REMEDIATOR_ESCALATION_WEBHOOKS: `${pager.baseUrl}/escalate`,
      },
    });
    cleanups.push(() => svc.stop());
    client = new Redis(svc.redis.url);
    cleanups.push(async () => client.disconnect());
  });

  /** Fires the alert, waits for the slow step, then hands the target's lock to someone else. */
  async function loseLockDuringSlowStep(runbook: string, alertname: string, box: string) {
    const fingerprint = randomBytes(8).toString('hex');
    const body = payload([{ labels: { alertname, box }, fingerprint }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const id = runId(runbook, fingerprint, body.alerts[0]!.startsAt);
    const file = join(sshd.dir, `lost-${fingerprint}`);
    await until('the slow step to start', () => lines(file, 'start') === 1);
    const lockKey = lockKeys('remediator:', policyKeys.targetLock(box)).lock;
    const held = await client.hgetall(lockKey);
    expect(held['owner']).toMatch(new RegExp(`^${id}/[0-9a-f]{12}$`)); // this attempt's owner token
    // The lock expired and another holder took it (another fence, another owner).
    await client.hset(lockKey, 'owner', 'intruder', 'expiresAt', Date.now() + 60_000, 'fence', 1000);
    await client.pexpire(lockKey, 60_000);
    const lostAt = Date.now();
    const run = await svc.waitForRun(id, 15_000);
    return { run, held, lockKey, file, lostAt, endedAt: Date.now() };
  }

  it('aborts the running step and ends unknown (lock_lost) with its fence number', async () => {
    const { run, held, lockKey, file, lostAt, endedAt } = await loseLockDuringSlowStep(
      'lost',
      'Lost',
      'box-a',
    );
    expect(run).toMatchObject({ status: 'unknown', reason: 'lock_lost' });
    expect(typeof run.fence).toBe('number');
    expect(run.fence).toBe(Number(held['fence']));
    expect(run.message).toBe(`lost the target lock (fence ${run.fence}) mid-step`);
    expect(run.steps[0]).toMatchObject({ name: 'slow', status: 'failed', errorCode: 'E_TIMEOUT' });
    expect(run.steps[0]!.error).toContain('lost the target lock');
    // Aborted at the next renewal (every 500 ms), not after the 5 s command.
    expect(endedAt - lostAt).toBeLessThan(3000);
    expect(lines(file, 'end')).toBe(0);
    // The run gave back only what was its own: the new holder keeps the lock.
    expect(await client.hget(lockKey, 'owner')).toBe('intruder');
    await until('the escalation to arrive', () => escalationsFor(run.id).length > 0, 5000);
    expect(escalationsFor(run.id)[0]).toMatchObject({ status: 'unknown', reason: 'lock_lost' });
  });

  it('does not act on the target after losing the lock, not even to undo', async () => {
    app.route('POST', '/drain', { status: 200 });
    app.route('POST', '/undrain', { status: 200 });
    const { run } = await loseLockDuringSlowStep('lost-undo', 'LostUndo', 'box-b');
    expect(run).toMatchObject({ status: 'unknown', reason: 'lock_lost' });
    expect(run.steps[0]).toMatchObject({ name: 'drain', status: 'succeeded' });
    // Someone else holds the target now: undoing the drain could undo their work. A human decides.
    expect(app.calls()).toEqual(['POST /drain']);
    expect(run.steps[0]!.undo).toBeUndefined();
  });

  it('does not count a run that ended unknown against the circuit breaker', async () => {
    // One failure would open this runbook's circuit; losing the lock (a Redis outage does that to every
    // run in flight) is not the fix failing.
    const { run } = await loseLockDuringSlowStep('lost-breaker', 'LostBreaker', 'box-d');
    expect(run).toMatchObject({ status: 'unknown', reason: 'lock_lost' });
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toContain('remediator_circuit_state{runbook="lost-breaker",state="closed"} 1');
    expect(metrics).toContain('remediator_circuit_state{runbook="lost-breaker",state="open"} 0');
  });

  it('stops at a verify cut short by the lost lock: no further step, no healing-memory charge', async () => {
    app.route('POST', '/gentle', { status: 200 });
    app.route('GET', '/healthz', { status: 503 });
    app.route('POST', '/strong', { status: 200 });
    const fingerprint = randomBytes(8).toString('hex');
    const body = payload([{ labels: { alertname: 'LostVerify' }, fingerprint }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    await until('the verify to poll', () => app.calls().includes('GET /healthz'));
    await client.del(lockKeys('remediator:', policyKeys.targetLock('box-c')).lock);
    const run = await svc.waitForRun(runId('lost-verify', fingerprint, body.alerts[0]!.startsAt));

    expect(run).toMatchObject({ status: 'unknown', reason: 'lock_lost' });
    expect(run.steps[0]!.verify).toMatchObject({ ok: false });
    expect(run.steps[0]!.verify!.detail).toMatch(/^aborted/);
    expect(app.calls()).not.toContain('POST /strong');
    // The stronger step never ran: it is skipped, not failed, and healing memory does not count it.
    expect(run.steps[1]).toMatchObject({ name: 'strong', status: 'skipped' });
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).not.toMatch(/remediator_step_attempts\{[^}]*runbook="lost-verify",step="strong"/);
  });
});
