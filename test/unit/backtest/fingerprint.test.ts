import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelsFingerprint } from '../../../src/backtest/fingerprint.ts';
import { alertLabels } from '../../../src/backtest/history.ts';
import { parseTimeArg } from '../../../src/backtest/time-arg.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/alertmanager-0.25');

/** Every (labels, fingerprint) pair Alertmanager 0.25 sent in the recorded payloads. */
function recorded(): Array<{ labels: Record<string, string>; fingerprint: string }> {
  return readdirSync(FIXTURES)
    .filter((f) => /^\d+-.*\.json$/.test(f))
    .flatMap((f) => (JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as { alerts: never[] }).alerts);
}

describe('labelsFingerprint', () => {
  it('equals the fingerprint Alertmanager sent for every alert in the recorded payloads', () => {
    const alerts = recorded();
    expect(alerts.length).toBeGreaterThan(3);
    for (const a of alerts) expect(labelsFingerprint(a.labels)).toBe(a.fingerprint);
  });

  it("is Prometheus' value for the empty set and does not depend on key order", () => {
    expect(labelsFingerprint({})).toBe('cbf29ce484222325');
    expect(labelsFingerprint({ b: '2', a: '1' })).toBe(labelsFingerprint({ a: '1', b: '2' }));
    // The separator keeps `a="bc"` and `ab="c"` apart.
    expect(labelsFingerprint({ a: 'bc' })).not.toBe(labelsFingerprint({ ab: 'c' }));
  });

  it('drops __name__ and alertstate from the series labels', () => {
    expect(
      alertLabels({ __name__: 'ALERTS', alertstate: 'firing', alertname: 'X', instance: 'h:1' }),
    ).toEqual({
      alertname: 'X',
      instance: 'h:1',
    });
  });
});

describe('parseTimeArg', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  it('reads RFC 3339, now and relative times', () => {
    expect(parseTimeArg('--from', '2026-11-01T00:00:00Z', now)).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(parseTimeArg('--from', '2026-11-01T01:00:00+01:00', now)).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(parseTimeArg('--to', 'now', now)).toBe(now);
    expect(parseTimeArg('--from', '-30d', now)).toBe(now - 30 * 86_400_000);
    expect(parseTimeArg('--from', '-6h', now)).toBe(now - 6 * 3_600_000);
  });
  it('names the option and the accepted forms', () => {
    expect(() => parseTimeArg('--from', 'yesterday', now)).toThrow(
      '--from: "yesterday" is not a time (use RFC 3339 like 2026-11-01T00:00:00Z, "now", or -30d, -6h, -90m)',
    );
  });
});
