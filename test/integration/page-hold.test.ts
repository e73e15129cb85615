import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/types.ts';
import { activeSilences, peerAlerts, sendAlerts, type Humans } from '../harness/alertmanager-cluster.ts';
import { consoleClient } from '../harness/console-client.ts';
import { fire, RUNBOOKS, startHoldStack, until, type HoldStack } from '../harness/page-hold-fixtures.ts';
import type { TestService } from '../harness/service.ts';

/**
 * The page hold against two real clustered Alertmanager 0.25 peers that route every alert to
 * remediator (group_wait 0s) and to a "humans" receiver (group_wait 3s, group_interval 2s).
 */
import { GROUP_INTERVAL_S, GROUP_WAIT_S } from '../harness/page-hold-fixtures.ts';
const MARGIN_S = 3;
let humans: Humans;
let cluster: HoldStack['cluster'];
let svc: TestService;

let stack: HoldStack | undefined;

beforeAll(async () => {
  stack = await startHoldStack(RUNBOOKS);
  ({ humans, cluster, svc } = stack);
});

afterAll(() => stack?.stop());

async function record(id: string): Promise<RunRecord> {
  return (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('page hold: healed', () => {
  it('holds the page on both peers before people’s group_wait, and people hear nothing, before or after', async () => {
    const alert = await fire(cluster.peers, 'heal', { alertname: 'HoldHealed', instance: `h-${Date.now()}` });
    // Hold latency: from the webhook receiving the alert to the silence active on both peers.
    const onBoth = await until('the hold on both peers', async () => {
      const [a, b] = await Promise.all(cluster.peers.map((p) => activeSilences(p)));
      const mine = (list: typeof a | undefined) => list?.find((s) => s.comment.includes(alert.id));
      return mine(a) && mine(b) ? { at: Date.now(), silence: mine(a)! } : undefined;
    });
    const run = await svc.waitForRun(alert.id);
    const latencyMs = onBoth.at - Date.parse(run.receivedAt);
    console.log(`page hold latency (webhook received -> silence active on both peers): ${latencyMs} ms`);
    expect(latencyMs).toBeLessThan(GROUP_WAIT_S * 1000);
    expect(onBoth.silence.createdBy).toBe('remediator');
    expect(onBoth.silence.comment).toContain(`https://remediator.example/ui/runs/${alert.id}`);
    expect(run).toMatchObject({ status: 'succeeded', pageHold: { state: 'healed' } });
    // Past people's group_wait and a flush, still held; then the alert resolves (as Prometheus says).
    await sleep((GROUP_WAIT_S + GROUP_INTERVAL_S) * 1000);
    await sendAlerts(cluster.peers, [
      { labels: alert.labels, startsAt: alert.startsAt, endsAt: new Date().toISOString() },
    ]);
    const ended = await until('the hold removed', async () => {
      const r = await record(alert.id);
      return r.pageHold?.state === 'ended' ? r : undefined;
    });
    expect(ended.pageHold!.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['hold:created', 'hold:removed']),
    );
    expect(ended.pageHold!.events.at(-1)).toMatchObject({ type: 'hold:removed', why: 'resolved' });
    await until('the hold gone from both peers', async () => {
      const lists = await Promise.all(cluster.peers.map((p) => activeSilences(p)));
      return lists.every((l) => !l.some((s) => s.id === onBoth.silence.id));
    });
    await sleep(2 * GROUP_INTERVAL_S * 1000);
    expect(
      humans.pages.filter((p) => p.alerts.some((a) => a.labels['instance'] === alert.labels['instance'])),
    ).toEqual([]);
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toMatch(/remediator_pages_avoided_total\{runbook="heal"\} [1-9]/);
  }, 40_000);
});

describe('page hold: failed', () => {
  it('holds while the run heals, and people are paged within group_wait + group_interval of the failure', async () => {
    const alert = await fire(cluster.peers, 'fail', { alertname: 'HoldFailed', instance: `f-${Date.now()}` });
    const run = await svc.waitForRun(alert.id, 20_000);
    expect(run).toMatchObject({ status: 'failed', pageHold: { state: 'ended' } });
    expect(run.pageHold!.events.at(-1)).toMatchObject({ type: 'hold:released', why: 'failed' });
    const failedAt = Date.parse(run.finishedAt!);
    // The step took longer than people's group_wait: only the hold kept them from being paged meanwhile.
    expect(humans.firing('HoldFailed').filter((p) => p.at < failedAt)).toEqual([]);
    const paged = await until('people paged', async () => humans.firing('HoldFailed')[0], 20_000);
    const afterS = (paged.at - failedAt) / 1000;
    console.log(`page hold: people paged ${afterS.toFixed(2)} s after the run failed`);
    expect(afterS).toBeLessThanOrEqual(GROUP_WAIT_S + GROUP_INTERVAL_S + MARGIN_S);
    // The console's run page tells the hold's story.
    const client = consoleClient(svc.url);
    expect((await client.login(svc.operatorToken)).status).toBe(303);
    const page = (await client.get(`/ui/runs/${alert.id}`)).text;
    expect(page).toContain('<h2>Page hold</h2>');
    expect(page).toContain(`<code>${run.pageHold!.silenceId}</code>`);
    expect(page).toMatch(
      /<code>hold:created<\/code>[\s\S]*<code>hold:released<\/code><\/td>\s*<td data-label="Detail">failed<\/td>/,
    );
  }, 40_000);
});

describe('page hold: approval', () => {
  it('releases the hold when the run asks a human, and people are paged', async () => {
    const alert = await fire(cluster.peers, 'ask', { alertname: 'HoldAsk', instance: `a-${Date.now()}` });
    const run = await svc.waitForRun(alert.id, 20_000);
    expect(run.status).toBe('awaiting_approval');
    expect(run.pageHold!.events.map((e) => [e.type, e.why])).toEqual([
      ['hold:created', undefined],
      ['hold:released', 'approval'],
    ]);
    const askedAt = Date.parse(run.approvals!.at(-1)!.requestedAt);
    const page = await until('people paged', async () => humans.firing('HoldAsk')[0], 20_000);
    expect((page.at - askedAt) / 1000).toBeLessThanOrEqual(GROUP_WAIT_S + GROUP_INTERVAL_S + MARGIN_S);
  }, 40_000);
});

describe('page hold: REMEDIATOR_HONOUR_SILENCES', () => {
  it('never takes a run’s own hold for an operator’s pause', async () => {
    const first = await fire(cluster.peers, 'queue', {
      alertname: 'HoldQueued',
      instance: `q1-${Date.now()}`,
    });
    const second = await fire(cluster.peers, 'queue', {
      alertname: 'HoldQueued',
      instance: `q2-${Date.now()}`,
    });
    // The second waits behind the first's target lock, held; it passes the gate again after 6 s.
    await until('the waiting run held', async () => (await record(second.id)).pageHold?.state === 'held');
    expect((await record(second.id)).status).toBe('queued');
    for (const run of [await svc.waitForRun(first.id, 20_000), await svc.waitForRun(second.id, 20_000)])
      expect(run).toMatchObject({ status: 'succeeded', pageHold: { state: 'healed' } });
    await sendAlerts(
      cluster.peers,
      [first, second].map((a) => ({
        labels: a.labels,
        startsAt: a.startsAt,
        endsAt: new Date().toISOString(),
      })),
    );
  }, 40_000);
});

describe('page hold: alert labels are data', () => {
  it('silences exactly the alert whose labels hold regex metacharacters, quotes and newlines, and no other', async () => {
    const evil = { alertname: 'HoldAttack', instance: '.*', evil: '"}\n.+|', quote: `a'b"c\\` };
    // Were any value read as a regex, the silence would cover this one too.
    const victim = { alertname: 'HoldAttack', instance: 'db-1', evil: '"}\nzz', quote: `a'b"c\\` };
    const startsAt = new Date(Date.now() - 5000).toISOString();
    await sendAlerts(cluster.peers, [{ labels: victim, startsAt }]);
    const alert = await fire(cluster.peers, 'attack', evil);
    const run = await svc.waitForRun(alert.id);
    expect(run.pageHold?.state).toBe('healed');
    const silence = (await activeSilences(cluster.peers[0])).find((s) => s.id === run.pageHold!.silenceId);
    expect(silence?.matchers).toEqual(
      Object.entries(evil)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
    );
    // Alertmanager marks alerts silenced as it evaluates them (each flush): wait for the attacker's.
    for (const peer of cluster.peers) {
      const of = (alerts: Awaited<ReturnType<typeof peerAlerts>>, l: Record<string, string>) =>
        alerts.find((a) => a.labels['instance'] === l['instance']);
      const alerts = await until('the alert silenced', async () => {
        const list = await peerAlerts(peer);
        return of(list, evil)?.status.silencedBy.length ? list : undefined;
      });
      expect(of(alerts, evil)?.status.silencedBy).toEqual([run.pageHold!.silenceId]);
      expect(of(alerts, victim)?.status).toMatchObject({ state: 'active', silencedBy: [] });
    }
    await sendAlerts(cluster.peers, [
      { labels: evil, startsAt: alert.startsAt, endsAt: new Date().toISOString() },
      { labels: victim, startsAt, endsAt: new Date().toISOString() },
    ]);
  });
});

describe('page hold: one peer down', () => {
  it('makes the hold through the next peer', async () => {
    const [first, second] = cluster.peers;
    await first.stop();
    const alert = await fire([second], 'heal', { alertname: 'HoldHealed', instance: `p-${Date.now()}` });
    const run = await svc.waitForRun(alert.id);
    expect(run).toMatchObject({ status: 'succeeded', pageHold: { state: 'healed' } });
    const silence = (await activeSilences(second)).find((s) => s.comment.includes(alert.id));
    expect(silence?.id).toBe(run.pageHold!.silenceId);
    expect(run.pageHold!.events.some((e) => e.type === 'hold:failed')).toBe(false);
  }, 30_000);
});
