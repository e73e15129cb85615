import { describe, expect, it } from 'vitest';
import { holdScope } from '../../../src/execute/page-hold-scope.ts';

const mine = { fingerprint: 'aa', labels: { alertname: 'X', instance: 'db-1' } };

describe('holdScope', () => {
  it('allows the silence when Alertmanager has exactly this alert and nothing else it would cover', () => {
    const unrelated = { fingerprint: 'bb', labels: { alertname: 'X', instance: 'db-2' } };
    expect(holdScope([mine, unrelated], mine.labels, 'aa')).toEqual({ ok: true });
  });

  it('refuses when a richer alert has all these labels (a silence on them would cover it)', () => {
    const richer = { fingerprint: 'cc', labels: { ...mine.labels, severity: 'page' } };
    expect(holdScope([mine, richer], mine.labels, 'aa')).toMatchObject({ ok: false, reason: 'shared' });
  });

  it('counts an alert without a label as covered by an empty value for it (Alertmanager’s reading)', () => {
    const sparse = { fingerprint: 'dd', labels: { alertname: 'X' } };
    const own = { fingerprint: 'aa', labels: { alertname: 'X', zone: '' } };
    expect(holdScope([own, sparse], own.labels, 'aa')).toMatchObject({ ok: false, reason: 'shared' });
  });

  it('refuses an alert Alertmanager does not have, or has under this fingerprint with more labels', () => {
    expect(holdScope([], mine.labels, 'aa')).toMatchObject({ ok: false, reason: 'absent' });
    const richer = { fingerprint: 'aa', labels: { ...mine.labels, severity: 'page' } };
    expect(holdScope([richer], mine.labels, 'aa')).toMatchObject({ ok: false, reason: 'absent' });
  });

  it('reads garbage from Alertmanager as no alert', () => {
    expect(holdScope([{ fingerprint: 'aa', labels: 'x' }, {}], mine.labels, 'aa')).toMatchObject({
      ok: false,
      reason: 'absent',
    });
  });
});
