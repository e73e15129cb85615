import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Redis } from 'ioredis';
import { payload } from '../../harness/payloads.ts';
import { inject, instance } from '../harness/fleet-control.ts';
import { startSentinelGroup } from '../harness/redis-procs.ts';
import { allRuns, ENDED } from '../harness/runs.ts';
import type { Scenario, ScenarioContext } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { streamLog } from '../harness/stream.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { sleep, until } from '../harness/wait.ts';
import { threeProcesses } from './10-scale-out.ts';

interface Sent {
  readonly seq: number;
  readonly fingerprint: string;
  /** Answers the webhook gave, in order; the last is 202 once acknowledged. */
  readonly answers: number[];
}

/**
 * Posts `count` alerts straight to the webhook, one a notification every `everyMs`, each retried every
 * 500 ms until it is answered 202, as Alertmanager retries: the test knows exactly what remediator
 * acknowledged.
 */
function directStream(ctx: ScenarioContext, count: number, everyMs: number) {
  const sent: Sent[] = [];
  const one = async (seq: number) => {
    const target = ctx.stack.fleet[seq % ctx.stack.fleet.length]!;
    const body = payload([
      {
        labels: {
          alertname: 'ChaosStream',
          scenario: '10b',
          seq: String(seq),
          instance: target.name,
          service: target.service,
        },
      },
    ]);
    const entry: Sent = { seq, fingerprint: body.alerts[0]!.fingerprint, answers: [] };
    sent.push(entry);
    for (;;) {
      const status = await fetch(`${ctx.stack.remediatorUrl}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.stack.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (r) => (await r.body?.cancel(), r.status),
        () => 0,
      );
      entry.answers.push(status);
      if (status === 202) return;
      await sleep(500);
    }
  };
  const done = (async () => {
    const pending: Array<Promise<void>> = [];
    for (let seq = 0; seq < count; seq++) {
      pending.push(one(seq));
      await sleep(everyMs);
    }
    await Promise.all(pending);
  })();
  return { sent, done };
}

/** Runs a process logged as ended `succeeded` without a warning that the record was not yet replicated. */
function reportedSucceeded(logFile: string): { confirmed: Set<string>; unconfirmed: Set<string> } {
  const confirmed = new Set<string>();
  const unconfirmed = new Set<string>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const id = /"runId":"([0-9a-f]+)"/.exec(line)?.[1];
    if (!id) continue;
    if (line.includes('not confirmed on a replica')) unconfirmed.add(id);
    else if (line.includes('"msg":"run succeeded')) confirmed.add(id);
  }
  for (const id of unconfirmed) confirmed.delete(id);
  return { confirmed, unconfirmed };
}

/**
 * Redis under Sentinel (a primary, a replica, three Sentinels). The primary is killed (SIGKILL) in the
 * middle of a stream of alerts; Sentinel promotes the replica, the three remediator processes follow
 * it, the old primary comes back as a replica. With REMEDIATOR_REDIS_MIN_REPLICAS=1, nothing
 * remediator acknowledged (202) is missing afterwards, no step runs twice, and no run it reported
 * succeeded is found otherwise.
 */
export const sentinelFailover: Scenario = {
  id: '10b-sentinel-failover',
  title: '10b. Redis failover under Sentinel: primary killed during a stream of alerts',
  timeoutMs: 240_000,
  async run(ctx) {
    const group = await startSentinelGroup(ctx.dir);
    ctx.defer(() => group.stop());
    const { procs, log } = await threeProcesses(ctx, group.url, { REMEDIATOR_REDIS_MIN_REPLICAS: '1' });
    const stream = directStream(ctx, 60, 200);
    await sleep(4000);
    const oldPrimary = `127.0.0.1:${group.primary.port}`;
    await group.primary.kill();
    const killedAt = Date.now();
    ctx.note(`primary ${oldPrimary} killed (SIGKILL)`);
    const target = instance(ctx.stack, instanceName('order-service', 2));
    const faultAt = await inject(target, 'cpu-burn');
    await until(
      'Sentinel to promote the replica',
      30_000,
      async () => (await group.currentPrimary()) !== oldPrimary,
    );
    const promotedAt = Date.now();
    ctx.note(`Sentinel promoted ${await group.currentPrimary()} after ${promotedAt - killedAt} ms`);
    // systemd brings the old primary back; Sentinel turns it into a replica of the new one.
    await group.primary.restart();
    ctx.note('old primary restarted');
    await stream.done;
    const acknowledgedAt = Date.now();

    const client = new Redis({
      sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      name: group.masterName,
    });
    client.on('error', () => undefined);
    ctx.defer(async () => client.disconnect());
    const runs = await until('a run for every acknowledged alert, all ended', 120_000, async () => {
      const mine = (await allRuns(client)).filter((r) => r.alert.labels['scenario'] === '10b');
      return mine.length >= stream.sent.length && mine.every((r) => ENDED.has(r.status)) ? mine : undefined;
    });
    // Nothing acknowledged is missing: every alert answered 202 has its run, exactly one.
    const byFingerprint = new Map(runs.map((r) => [r.alert.fingerprint, r]));
    expect(stream.sent.filter((s) => !byFingerprint.has(s.fingerprint)).map((s) => s.seq)).toEqual([]);
    expect(runs).toHaveLength(stream.sent.length);
    // No step ran twice; runs in flight at the failover may end unknown, nothing else fails.
    const { acted } = streamLog(log);
    expect([...acted.entries()].filter(([, n]) => n > 1)).toEqual([]);
    const outcomes: Record<string, number> = {};
    for (const r of runs)
      outcomes[`${r.status}:${r.reason}`] = (outcomes[`${r.status}:${r.reason}`] ?? 0) + 1;
    ctx.note(`stream outcomes: ${JSON.stringify(outcomes)}`);
    for (const key of Object.keys(outcomes))
      expect(['succeeded:ok', 'unknown:E_INTERRUPTED', 'unknown:lock_lost']).toContain(key);
    for (const r of runs)
      if (r.status === 'succeeded') expect(acted.get(Number(r.alert.labels['seq'])), r.id).toBe(1);
    const refused = stream.sent.filter((s) => s.answers.length > 1);
    ctx.note(
      `${refused.length} of ${stream.sent.length} notifications were answered something else first (${JSON.stringify(
        refused.map((s) => s.answers),
      )}), all ${acknowledgedAt - killedAt} ms after the kill at the latest`,
    );
    // Never reported success for work it cannot find: every run a process logged succeeded (confirmed
    // on a replica) is found succeeded on the new primary.
    for (const proc of procs) {
      const { confirmed, unconfirmed } = reportedSucceeded(proc.proc.logFile);
      ctx.note(
        `${proc.name}: ${confirmed.size} successes reported, ${unconfirmed.size} not confirmed on a replica`,
      );
      for (const id of confirmed) {
        const run = (await allRuns(client)).find((r) => r.id === id);
        expect(run?.status, id).toBe('succeeded');
      }
      expect(proc.proc.alive()).toBe(true);
    }
    // They follow the new primary: their connections are there.
    const [host, port] = (await group.currentPrimary()).split(':');
    const direct = new Redis({ host: host!, port: Number(port), lazyConnect: true });
    direct.on('error', () => undefined);
    await direct.connect();
    const names = ((await direct.client('LIST')) as string)
      .split('\n')
      .filter((l) => l.includes('name=remediator:'));
    direct.disconnect();
    expect(names.length).toBeGreaterThanOrEqual(3 * 4);
    // The fault injected at the kill: healed through the new primary.
    const cpuRun = await until('the HighCpuUsage run to end', 90_000, async () =>
      (await allRuns(client)).find(
        (r) =>
          r.target === target.name && r.alert.labels['alertname'] === 'HighCpuUsage' && ENDED.has(r.status),
      ),
    );
    expect(cpuRun).toMatchObject({ status: 'succeeded', reason: 'verified' });
    const summary = `${runs.length}/${stream.sent.length} acknowledged alerts found, ${refused.length} answered 503 first, promotion ${promotedAt - killedAt} ms`;
    ctx.rows.push({
      ...rowFromRun('10b Sentinel failover', 'fault at the primary kill', faultAt, cpuRun),
      note: summary,
    });
  },
};
