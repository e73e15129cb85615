import { describe, expect, it } from 'vitest';
import { compileApproval } from '../../../src/config/approval.ts';
import { approvalReasons, withinHours } from '../../../src/policy/approval-condition.ts';

const at = (iso: string) => Date.parse(iso);
const labels = { alertname: 'DbDown', role: 'primary', service: 'db' };

describe('approval conditions', () => {
  it('always asks with always: true, and names the reason', () => {
    expect(approvalReasons(compileApproval({ always: true }), labels, 0)).toEqual(['always']);
  });

  it('asks when every label matcher matches, not when one does not', () => {
    const spec = compileApproval({ labels: ['role = "primary"', 'service =~ "db|cache"'] });
    expect(approvalReasons(spec, labels, 0)).toEqual(['labels role="primary", service=~"db|cache"']);
    expect(approvalReasons(spec, { ...labels, role: 'replica' }, 0)).toEqual([]);
  });

  it('asks outside business hours, read on the wall clock of the named time zone', () => {
    const spec = compileApproval({
      outside: { days: 'Mon-Fri', hours: '09:00-18:00', timeZone: 'Europe/Berlin' },
    });
    // Monday 2026-11-23: Berlin is UTC+1 in November.
    expect(approvalReasons(spec, labels, at('2026-11-23T07:59:00Z'))).toEqual([
      'outside Mon-Fri 09:00-18:00 Europe/Berlin',
    ]);
    expect(approvalReasons(spec, labels, at('2026-11-23T08:00:00Z'))).toEqual([]);
    expect(approvalReasons(spec, labels, at('2026-11-23T16:59:59Z'))).toEqual([]);
    expect(approvalReasons(spec, labels, at('2026-11-23T17:00:00Z'))).toHaveLength(1);
    // Saturday noon in Berlin.
    expect(approvalReasons(spec, labels, at('2026-11-28T11:00:00Z'))).toHaveLength(1);
    // Summer time: 09:00 in Berlin is 07:00 UTC in July.
    expect(approvalReasons(spec, labels, at('2026-07-06T07:00:00Z'))).toEqual([]);
  });

  it('reads day lists and wrapping ranges', () => {
    const weekend = compileApproval({
      outside: { days: 'Fri-Mon', hours: '00:00-24:00', timeZone: 'UTC' },
    }).outside!;
    expect([...weekend.days].sort()).toEqual([0, 1, 5, 6]);
    expect(withinHours(weekend, at('2026-11-21T12:00:00Z'))).toBe(true); // Saturday
    expect(withinHours(weekend, at('2026-11-25T12:00:00Z'))).toBe(false); // Wednesday
  });

  it('asks when this run would use a cap above the given share', () => {
    const spec = compileApproval({ blastRadiusAbove: 0.5 });
    const usage = (used: number) => [
      { key: 'inflight:global', used, limit: 10 },
      { key: 'inflight:runbook:db', used: 0, limit: 4 },
    ];
    expect(approvalReasons(spec, labels, 0, usage(4))).toEqual([]); // 5/10 is not above 50%
    expect(approvalReasons(spec, labels, 0, usage(5))).toEqual([
      'blast radius: inflight:global would be at 6/10 (above 50%)',
    ]);
  });

  it('lists every condition that holds', () => {
    const spec = compileApproval({ always: true, labels: ['role = "primary"'] });
    expect(approvalReasons(spec, labels, 0)).toEqual(['always', 'labels role="primary"']);
  });
});
