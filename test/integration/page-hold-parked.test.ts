import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../../src/types.ts';
import { fire, RUNBOOKS, startHoldStack, until, type HoldStack } from '../harness/page-hold-fixtures.ts';

/**
 * A run that waits for a busy target holds people's page, and with REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL
 * so does one waiting for (or, approved, after) a human. Parked, such a run is not polled: it must still
 * wake often enough to renew its hold before the hold lapses (REMEDIATOR_PAGE_HOLD_LAPSE, 12 s here),
 * also when nothing else wakes it (the sweep off, as for a second waiter of a place).
 */
let stack: HoldStack | undefined;
const TOKEN = 'op-token';

beforeAll(async () => {
  stack = await startHoldStack(RUNBOOKS, {
    REMEDIATOR_WAIT_POLL: 'off',
    REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL: 'true',
    REMEDIATOR_OPERATOR_TOKEN: TOKEN,
  });
});

afterAll(() => stack?.stop());

async function record(id: string): Promise<RunRecord | undefined> {
  const response = await stack!.svc.get(`/api/v1/runs/${id}`);
  return response.status === 200 ? ((await response.json()) as RunRecord) : undefined;
}

it('keeps the holds of runs parked behind a busy target, or waiting for and after an approval, past the lapse', async () => {
  const { cluster, humans, svc } = stack!;
  // Asks a human before its restart; REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL keeps its page held.
  const ask = await fire(cluster.peers, 'ask', { alertname: 'HoldAsk', instance: `a-${Date.now()}` });
  const asking = await until('the run awaiting approval, holding', async () => {
    const r = await record(ask.id);
    return r?.status === 'awaiting_approval' && r.pageHold?.state === 'held' ? r : undefined;
  });
  // The slow step holds target api's lock for two minutes.
  const slow = await fire(cluster.peers, 'slow', { alertname: 'HoldSlow', instance: `s-${Date.now()}` });
  await until('the slow run acting', async () => (await record(slow.id))?.status === 'running');
  const waiting = await fire(cluster.peers, 'queue', {
    alertname: 'HoldQueued',
    instance: `w-${Date.now()}`,
  });
  await until('the waiting run parked, holding', async () => {
    const r = await record(waiting.id);
    return r?.status === 'queued' && r.pageHold?.state === 'held';
  });
  // Two lapse bounds (12 s) with the approval still open, then approved while the target is busy.
  await new Promise((r) => setTimeout(r, 26_000));
  expect(await record(ask.id)).toMatchObject({ status: 'awaiting_approval', pageHold: { state: 'held' } });
  const answered = await svc.post(
    `/api/v1/runs/${ask.id}/approve`,
    { requestId: asking.approvals!.at(-1)!.id, by: 'ann' },
    { authorization: `Bearer ${TOKEN}` },
  );
  expect(answered.status).toBe(200);
  await new Promise((r) => setTimeout(r, 26_000));
  // A hold left to lapse would have paged people (group_wait 3 s) and come back under a new silence.
  for (const id of [waiting.id, ask.id]) {
    const run = await record(id);
    expect(run).toMatchObject({ status: 'queued', pageHold: { state: 'held' } });
    expect(run!.pageHold!.events.filter((e) => e.why === 'the hold had lapsed')).toEqual([]);
    expect(Date.parse(run!.pageHold!.until!)).toBeGreaterThan(Date.now());
  }
  expect(humans.firing('HoldQueued')).toEqual([]);
  expect(humans.firing('HoldAsk')).toEqual([]);
}, 90_000);
