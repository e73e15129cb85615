import { describe, expect, it } from 'vitest';
import { applyAnswer } from '../../../src/policy/approval-answer.ts';
import type { ApprovalRecord } from '../../../src/policy/approval-types.ts';
import type { RunRecord } from '../../../src/types.ts';

const request: ApprovalRecord = {
  state: 'pending',
  scope: 'run',
  step: 0,
  stepName: 'restart',
  why: ['always'],
  requestedAt: '2026-11-21T10:00:00.000Z',
  expiresAt: '2026-11-21T10:15:00.000Z',
  onExpiry: 'deny',
  stepsHash: 'abc',
};
const run = {
  id: 'r1',
  runbook: 'rb',
  target: 't',
  status: 'awaiting_approval',
  steps: [],
  approvals: [request],
} as unknown as RunRecord;
const t = (iso: string) => Date.parse(iso);

describe('answering an approval request', () => {
  it('records who answered, when and how, and puts the run back in the queue', () => {
    const result = applyAnswer(
      run,
      { state: 'approved', by: 'alice', via: 'api', comment: 'ok' },
      t('2026-11-21T10:05:00Z'),
    );
    expect(result).toMatchObject({
      ok: true,
      run: { status: 'queued' },
      request: {
        state: 'approved',
        decidedBy: 'alice',
        via: 'api',
        comment: 'ok',
        decidedAt: '2026-11-21T10:05:00.000Z',
      },
    });
    expect(run.approvals![0]!.state).toBe('pending'); // pure: the input is not changed
  });

  it('refuses a second answer', () => {
    const first = applyAnswer(run, { state: 'approved', by: 'alice', via: 'api' }, t('2026-11-21T10:05:00Z'));
    if (!first.ok) throw new Error('first answer refused');
    const again = applyAnswer(
      { ...first.run, status: 'awaiting_approval' },
      { state: 'denied', by: 'bob', via: 'link' },
      0,
    );
    expect(again).toEqual({
      ok: false,
      code: 'E_NOT_AWAITING',
      httpStatus: 409,
      message: 'run r1 was already approved by alice',
    });
    expect(applyAnswer(first.run, { state: 'denied', by: 'bob', via: 'link' }, 0)).toMatchObject({
      code: 'E_NOT_AWAITING',
    });
  });

  it('refuses a human answer at or after the expiry, but not the expiry itself', () => {
    const late = t('2026-11-21T10:15:00Z');
    expect(applyAnswer(run, { state: 'approved', by: 'alice', via: 'console' }, late)).toEqual({
      ok: false,
      code: 'E_EXPIRED',
      httpStatus: 410,
      message: 'the approval request for run r1 expired at 2026-11-21T10:15:00.000Z',
    });
    expect(applyAnswer(run, { state: 'expired', by: 'nobody', via: 'expiry' }, late)).toMatchObject({
      ok: true,
    });
  });

  it('refuses a link made for other steps, and an expiry meant for an older request', () => {
    expect(applyAnswer(run, { state: 'approved', by: 'a', via: 'link', stepsHash: 'zzz' }, 0)).toMatchObject({
      ok: false,
      code: 'E_STALE',
    });
    expect(
      applyAnswer(
        run,
        { state: 'expired', by: 'nobody', via: 'expiry', requestedAt: '2026-11-21T09:00:00.000Z' },
        0,
      ),
    ).toMatchObject({ ok: false, code: 'E_NOT_AWAITING', message: 'run r1 asked again since' });
  });

  it('refuses a run that is not waiting', () => {
    expect(
      applyAnswer({ ...run, status: 'running' }, { state: 'approved', by: 'a', via: 'api' }, 0),
    ).toMatchObject({
      code: 'E_NOT_AWAITING',
      message: 'run r1 is not waiting',
    });
  });

  it('counts an answer only for the request it names: an earlier request, or none of this run, is refused', () => {
    const first = { ...request, id: 'q1' };
    const answered = { ...first, state: 'approved' as const, decidedBy: 'alice' };
    const second = { ...request, id: 'q2', scope: 'step' as const, step: 1, stepName: 'failover' };
    const asksAgain = { ...run, approvals: [answered, second] };
    expect(applyAnswer(asksAgain, { state: 'approved', by: 'eve', via: 'link', requestId: 'q1' }, 0)).toEqual(
      {
        ok: false,
        code: 'E_SUPERSEDED',
        httpStatus: 410,
        message:
          'this answer is for an earlier approval request of run r1 (step "restart", approved); the run asked again since (step "failover", pending): answer that request, after looking at it',
      },
    );
    expect(
      applyAnswer(asksAgain, { state: 'approved', by: 'eve', via: 'api', requestId: 'nope' }, 0),
    ).toEqual({
      ok: false,
      code: 'E_NOT_FOUND',
      httpStatus: 404,
      message: 'run r1 has no approval request nope',
    });
    expect(
      applyAnswer(asksAgain, { state: 'approved', by: 'bob', via: 'api', requestId: 'q2' }, 0),
    ).toMatchObject({ ok: true, request: { id: 'q2', state: 'approved', decidedBy: 'bob' } });
  });
});
