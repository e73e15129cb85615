import { describe, expect, it } from 'vitest';
import {
  exactMatchers,
  holdAfterEnding,
  holdSilence,
  holdsPage,
  isPageHold,
} from '../../../src/execute/page-hold-silence.ts';
import { isoMs, watchDecision } from '../../../src/execute/page-hold-watch.ts';
import { createSilenceChecker } from '../../../src/policy/silences.ts';
import type { RunRecord } from '../../../src/types.ts';

const run = {
  id: 'r1',
  runbook: 'disk',
  alert: { labels: { instance: 'db-1', alertname: 'DiskFull', odd: '.*"\n|x' } },
} as unknown as RunRecord;

describe('holdSilence', () => {
  it('is one exact-equality matcher per label, values as data, and names the run', () => {
    const s = holdSilence(run, 'https://remediator.example');
    expect(s.matchers).toEqual([
      { name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true },
      { name: 'instance', value: 'db-1', isRegex: false, isEqual: true },
      { name: 'odd', value: '.*"\n|x', isRegex: false, isEqual: true },
    ]);
    expect(s.createdBy).toBe('remediator');
    expect(s.comment).toBe(
      'remediator page hold: runbook disk is healing this alert; people are paged if it fails. https://remediator.example/ui/runs/r1',
    );
    expect(holdSilence(run, undefined).comment).toMatch(/ run r1$/);
    expect(exactMatchers({})).toEqual([]);
  });
});

describe('isPageHold', () => {
  it('needs both remediator as creator and the comment mark', () => {
    expect(isPageHold(holdSilence(run, undefined))).toBe(true);
    // An operator who types "remediator" as their name still pauses remediator.
    expect(isPageHold({ createdBy: 'remediator', comment: 'maintenance' })).toBe(false);
    expect(isPageHold({ createdBy: 'alice', comment: 'remediator page hold: copied' })).toBe(false);
  });
});

describe('holdAfterEnding', () => {
  it('keeps the hold only for a healed run, and releases it for every other end', () => {
    expect(holdAfterEnding({ status: 'succeeded' })).toBe('keep');
    expect(holdAfterEnding({ status: 'failed', escalate: true })).toBe('failed');
    expect(holdAfterEnding({ status: 'unknown', escalate: true })).toBe('unknown');
    expect(holdAfterEnding({ status: 'skipped', escalate: true })).toBe('refused');
    expect(holdAfterEnding({ status: 'skipped' })).toBe('skipped');
  });

  it('follows the runbook, else the global default', () => {
    expect(holdsPage({}, true)).toBe(true);
    expect(holdsPage({ pageHold: false }, true)).toBe(false);
    expect(holdsPage({ pageHold: true }, false)).toBe(true);
  });
});

describe('watchDecision', () => {
  it('removes a resolved alert’s hold, gives up after the resolve wait, renews otherwise', () => {
    expect(watchDecision('gone', 0, 1000, 600_000)).toBe('remove');
    expect(watchDecision('active', 0, 1000, 600_000)).toBe('renew');
    expect(watchDecision('active', 0, 600_000, 600_000)).toBe('give_up');
    // Alertmanager cannot be asked: nothing is proven either way, until the resolve wait is over. A
    // check that keeps failing while renewals succeed must not hold the page for ever.
    expect(watchDecision('unknown', 0, 1000, 600_000)).toBe('renew');
    expect(watchDecision('unknown', 0, 900_000, 600_000)).toBe('give_up');
  });
});

describe('isoMs', () => {
  it('reads the webhook’s Go times (up to nine fraction digits, trailing zeros cut) and the API’s alike', () => {
    const ms = Date.UTC(2026, 11, 3, 14, 22, 10, 880);
    expect(isoMs('2026-12-03T14:22:10.88Z')).toBe(ms);
    expect(isoMs('2026-12-03T14:22:10.880123456Z')).toBe(ms);
    expect(isoMs('2026-12-03T14:22:10.880Z')).toBe(ms);
    expect(isoMs(undefined)).toBeNaN();
  });
});

describe('REMEDIATOR_HONOUR_SILENCES and page holds', () => {
  it('never counts remediator’s own hold as an operator pause, but counts every other silence', async () => {
    const matchers = [{ name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true }];
    const silences = [
      { ...holdSilence(run, undefined), id: 'hold', status: { state: 'active' }, matchers },
      { id: 'ops', status: { state: 'active' }, matchers, createdBy: 'remediator', comment: 'maintenance' },
    ];
    const fetchFn = (async () => new Response(JSON.stringify(silences))) as typeof fetch;
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const check = createSilenceChecker({ url: 'http://am', fetch: fetchFn, log });
    expect(await check({ alertname: 'DiskFull' })).toBe('ops');
    silences.pop();
    const fresh = createSilenceChecker({ url: 'http://am', fetch: fetchFn, log });
    expect(await fresh({ alertname: 'DiskFull' })).toBeUndefined();
  });
});
