import type { RunRecord } from '../../src/types.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSilences, peerAlerts, sendAlerts, type Humans } from '../harness/alertmanager-cluster.ts';
import { payload } from '../harness/payloads.ts';
import {
  GROUP_INTERVAL_S,
  GROUP_WAIT_S,
  RUNBOOKS,
  startHoldStack,
  until,
  type HoldStack,
} from '../harness/page-hold-fixtures.ts';
import type { TestService } from '../harness/service.ts';
import { runId } from '../../src/ingest/run-id.ts';

/**
 * An outsider who chooses alert data (labels, fingerprint, the whole webhook body when the webhook is
 * reachable) tries to make remediator's page hold silence somebody else's alert. Real Alertmanager 0.25
 * pair, real "humans" receiver.
 */
const POLICY = "policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }";
// Heals HoldSubset alerts that are not pages: the victim (severity=page) gets no run and no hold.
const SUBSET = `name: subset\nmatch: ['alertname = "HoldSubset"', 'severity != "page"']\ntarget: api\n${POLICY}\nsteps:\n  - name: fix\n    http: { path: /fix }\n`;
// The same, with a 6 s step: the hold is renewed while it runs.
const SUBSET_SLOW = SUBSET.replace('name: subset', 'name: subset-slow')
  .replace('HoldSubset', 'HoldSubsetSlow')
  .replace('/fix', '/queue');
let humans: Humans;
let cluster: HoldStack['cluster'];
let svc: TestService;

let stack: HoldStack | undefined;

beforeAll(async () => {
  stack = await startHoldStack({ ...RUNBOOKS, 'subset.yaml': SUBSET, 'subset-slow.yaml': SUBSET_SLOW });
  ({ humans, cluster, svc } = stack);
});

afterAll(() => stack?.stop());

const record = async (id: string) => (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
/**
 * Fires an alert and returns its run id: the victim shares the attacker's instance, so the alert is
 * found by its whole label set (Alertmanager drops labels with empty values, as Prometheus does).
 */
async function fireExact(runbook: string, labels: Record<string, string>) {
  const now = Date.now();
  // Milliseconds with no trailing zero: the webhook writes times as Go does (see page-hold-fixtures).
  const startsAt = new Date(now - (now % 1000) - 877).toISOString();
  await sendAlerts(cluster.peers, [{ labels, startsAt }]);
  const kept = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
  const same = (l: Record<string, string>) => JSON.stringify(sortKeys(l)) === JSON.stringify(sortKeys(kept));
  const found = await until('the alert in Alertmanager', async () =>
    (await peerAlerts(cluster.peers[0])).find((a) => same(a.labels)),
  );
  return { id: runId(runbook, found.fingerprint, startsAt), startsAt, labels };
}
const sortKeys = (l: Record<string, string>) => Object.fromEntries(Object.entries(l).sort());
const resolve = (labels: Record<string, string>, startsAt: string) =>
  sendAlerts(cluster.peers, [{ labels, startsAt, endsAt: new Date().toISOString() }]);

describe('page hold attack: a label set that is a subset of a real alert’s', () => {
  it('holds nothing when the silence would also cover another alert, and the real alert pages people', async () => {
    const instance = `s-${Date.now()}`;
    const victim = { alertname: 'HoldSubset', instance, severity: 'page' };
    const victimStartsAt = new Date(Date.now() - 5000).toISOString();
    await sendAlerts(cluster.peers, [{ labels: victim, startsAt: victimStartsAt }]);
    // The attacker's alert carries the victim's labels minus one: a silence on them covers both.
    const alert = await fireExact('subset', { alertname: 'HoldSubset', instance });
    const run = await svc.waitForRun(alert.id);
    expect(run.status).toBe('succeeded');
    expect(run.pageHold?.state).toBe('declined');
    expect(run.pageHold?.events.at(-1)?.why).toMatch(/would also silence 1 other alert/);
    expect((await activeSilences(cluster.peers[0])).filter((s) => s.comment.includes(alert.id))).toEqual([]);
    const paged = await until(
      'the victim paged',
      async () =>
        humans.pages.find((p) =>
          p.alerts.some((a) => a.labels['severity'] === 'page' && a.labels['instance'] === instance),
        ),
      (GROUP_WAIT_S + GROUP_INTERVAL_S + 5) * 1000,
    );
    expect(paged.status).toBe('firing');
    await Promise.all([resolve(victim, victimStartsAt), resolve(alert.labels, alert.startsAt)]);
  }, 40_000);
});

describe('page hold attack: an empty label value', () => {
  it('is no way around the check: Alertmanager drops it, leaving a subset of the victim’s labels', async () => {
    const instance = `e-${Date.now()}`;
    const victim = { alertname: 'HoldSubset', instance, severity: 'page' };
    const victimStartsAt = new Date(Date.now() - 5000).toISOString();
    await sendAlerts(cluster.peers, [{ labels: victim, startsAt: victimStartsAt }]);
    const alert = await fireExact('subset', { alertname: 'HoldSubset', instance, zone: '' });
    const run = await svc.waitForRun(alert.id);
    expect(run.pageHold?.events.at(-1)?.why).toMatch(/would also silence 1 other alert/);
    expect(run.pageHold?.state).toBe('declined');
    await Promise.all([resolve(victim, victimStartsAt), resolve(alert.labels, alert.startsAt)]);
  });
});

describe('page hold attack: a richer alert that begins firing while the hold stands', () => {
  it('releases the hold at its next renewal, and the richer alert pages people', async () => {
    const instance = `r-${Date.now()}`;
    const alert = await fireExact('subset-slow', { alertname: 'HoldSubsetSlow', instance });
    const held = await until('the hold made', async () => {
      const r = await record(alert.id);
      return r.pageHold?.state === 'held' ? r : undefined;
    });
    const victim = { alertname: 'HoldSubsetSlow', instance, severity: 'page' };
    const victimStartsAt = new Date().toISOString();
    await sendAlerts(cluster.peers, [{ labels: victim, startsAt: victimStartsAt }]);
    const run = await svc.waitForRun(alert.id);
    expect(run.status).toBe('succeeded');
    expect(run.pageHold).toMatchObject({ state: 'ended' });
    expect(run.pageHold?.events.at(-1)).toMatchObject({ type: 'hold:released', why: 'shared' });
    const silences = await activeSilences(cluster.peers[0]);
    expect(silences.filter((s) => s.id === held.pageHold!.silenceId)).toEqual([]);
    await until('the victim paged', async () =>
      humans.pages.find((p) =>
        p.alerts.some((a) => a.labels['severity'] === 'page' && a.labels['instance'] === instance),
      ),
    );
    await Promise.all([resolve(victim, victimStartsAt), resolve(alert.labels, alert.startsAt)]);
  }, 40_000);
});

describe('page hold attack: a forged webhook call', () => {
  it('holds nothing for an alert Alertmanager does not have', async () => {
    const labels = { alertname: 'HoldHealed', instance: `forged-${Date.now()}` };
    const startsAt = new Date().toISOString();
    const fingerprint = 'f0f0f0f0f0f0f0f0';
    expect((await svc.post('/hooks/alertmanager', payload([{ labels, startsAt, fingerprint }]))).status).toBe(
      202,
    );
    const id = runId('heal', fingerprint, startsAt);
    const run = await svc.waitForRun(id);
    expect(run.pageHold?.state).toBe('declined');
    expect(run.pageHold?.events.at(-1)?.why).toMatch(
      /Alertmanager has no alert with fingerprint f0f0f0f0f0f0f0f0/,
    );
    expect((await activeSilences(cluster.peers[0])).filter((s) => s.comment.includes(id))).toEqual([]);
  });

  it('holds nothing for a real alert’s fingerprint sent with fewer labels than it has', async () => {
    const instance = `fp-${Date.now()}`;
    const victim = { alertname: 'HoldSubset', instance, severity: 'page' };
    const victimStartsAt = new Date(Date.now() - 5000).toISOString();
    await sendAlerts(cluster.peers, [{ labels: victim, startsAt: victimStartsAt }]);
    const real = await until('the victim in Alertmanager', async () =>
      (await peerAlerts(cluster.peers[0])).find((a) => a.labels['instance'] === instance),
    );
    const startsAt = new Date().toISOString();
    const labels = { alertname: 'HoldSubset', instance };
    const body = payload([{ labels, startsAt, fingerprint: real.fingerprint }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const run = await svc.waitForRun(runId('subset', real.fingerprint, startsAt));
    expect(run.pageHold?.state).toBe('declined');
    expect(
      (await peerAlerts(cluster.peers[0])).find((a) => a.fingerprint === real.fingerprint)?.status,
    ).toMatchObject({
      silencedBy: [],
    });
    await resolve(victim, victimStartsAt);
  });
});

describe('page hold attack: a healed alert that fires again before the watch sees it resolved', () => {
  it('ends the healed hold: the new occurrence is not silenced by the old one for the resolve wait', async () => {
    const labels = { alertname: 'HoldHealed', instance: `refire-${Date.now()}` };
    const first = await fireExact('heal', labels);
    const run = await svc.waitForRun(first.id);
    expect(run.pageHold?.state).toBe('healed');
    // Resolved, then firing again at once: Alertmanager keeps the fingerprint, with a new startsAt.
    await resolve(labels, first.startsAt);
    await sendAlerts(cluster.peers, [{ labels, startsAt: new Date(Date.now() + 10).toISOString() }]);
    // The watch looks every 3 s (a quarter of the 12 s lapse); the resolve wait is 10 minutes.
    const ended = await until(
      'the old occurrence’s hold ended',
      async () => {
        const r = await record(first.id);
        return r.pageHold?.state === 'ended' ? r : undefined;
      },
      15_000,
    );
    expect(ended.pageHold?.events.at(-1)).toMatchObject({ type: 'hold:removed', why: 'resolved' });
    expect((await activeSilences(cluster.peers[0])).filter((s) => s.comment.includes(first.id))).toEqual([]);
    await resolve(labels, new Date(Date.now() - 1000).toISOString());
  }, 40_000);
});
