import { describe, expect, it, vi } from 'vitest';
import { parseMatchers } from '../../../src/match/matcher.ts';
import { matchingPause, validatePause, type PauseInput } from '../../../src/policy/pause-match.ts';
import type { Pause } from '../../../src/stores/types.ts';

// Counts parses, to show that the compiled matchers are cached per pause id.
vi.mock('../../../src/match/matcher.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/match/matcher.ts')>();
  return { ...original, parseMatchers: vi.fn(original.parseMatchers) };
});

const NOW = Date.parse('2024-05-01T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();
let ids = 0;

function pause(matchers: string[], expiresAt = NOW + MINUTE, id = `p${++ids}`): Pause {
  return {
    id,
    matchers,
    comment: 'maintenance',
    createdBy: 'ops',
    createdAt: iso(NOW - MINUTE),
    expiresAt: iso(expiresAt),
  };
}

const labels = { alertname: 'DiskFull', instance: 'db1:9100', severity: 'critical' };

describe('matchingPause', () => {
  it('a pause without matchers covers every alert', () => {
    const everything = pause([]);
    expect(matchingPause([everything], labels, NOW)).toBe(everything);
    expect(matchingPause([everything], {}, NOW)).toBe(everything);
  });

  it('needs every matcher to match', () => {
    const both = pause(['alertname="DiskFull"', 'instance=~"db.*"']);
    expect(matchingPause([both], labels, NOW)).toBe(both);
    expect(matchingPause([both], { ...labels, instance: 'web1:9100' }, NOW)).toBeUndefined();
    expect(matchingPause([both], { instance: 'db1:9100' }, NOW)).toBeUndefined();
  });

  it('returns the first matching pause in the given order', () => {
    const other = pause(['alertname="HighLoad"']);
    const first = pause(['severity="critical"']);
    const second = pause([]);
    expect(matchingPause([other, first, second], labels, NOW)).toBe(first);
  });

  it('ignores a pause from the millisecond it expires', () => {
    expect(matchingPause([pause([], NOW)], labels, NOW)).toBeUndefined();
    expect(matchingPause([pause([], NOW + 1)], labels, NOW)).toBeDefined();
    expect(matchingPause([pause([], NOW - DAY)], labels, NOW)).toBeUndefined();
  });

  it('treats a stored pause whose matchers do not parse as covering everything', () => {
    const broken = pause(['severity=="critical"']);
    expect(matchingPause([broken], { alertname: 'Other' }, NOW)).toBe(broken);
  });

  it('parses each pause once, however many alerts it is checked against', () => {
    const parse = vi.mocked(parseMatchers);
    parse.mockClear();
    const pauses = [pause(['alertname="HighLoad"']), pause(['severity=~"crit.*"'])];
    for (let i = 0; i < 500; i++) matchingPause(pauses, { ...labels, instance: `db${i}` }, NOW);
    expect(parse).toHaveBeenCalledTimes(2);
  });
});

function input(overrides: Partial<PauseInput> = {}): PauseInput {
  return { matchers: ['alertname="DiskFull"'], duration: '30m', comment: ' disk swap on db1 ', ...overrides };
}

describe('validatePause', () => {
  it('accepts a duration and computes the expiry from now', () => {
    expect(validatePause(input({ createdBy: 'alice' }), NOW)).toEqual({
      ok: true,
      pause: {
        matchers: ['alertname="DiskFull"'],
        comment: 'disk swap on db1',
        createdBy: 'alice',
        expiresAt: iso(NOW + 30 * MINUTE),
      },
    });
  });

  it('accepts an ISO expiresAt with a zone, an empty matcher list, and no createdBy', () => {
    const result = validatePause(
      input({ matchers: [], duration: undefined, expiresAt: '2024-05-01T12:30:00+02:00' }),
      NOW,
    );
    expect(result).toEqual({
      ok: true,
      pause: {
        matchers: [],
        comment: 'disk swap on db1',
        createdBy: 'unknown',
        expiresAt: '2024-05-01T10:30:00.000Z',
      },
    });
  });

  it('accepts the last day of a leap February', () => {
    const leap = Date.parse('2024-02-10T00:00:00Z');
    expect(validatePause(input({ duration: undefined, expiresAt: '2024-02-29T10:00:00Z' }), leap).ok).toBe(
      true,
    );
  });

  it('allows exactly 30 days', () => {
    expect(validatePause(input({ duration: '720h' }), NOW).ok).toBe(true);
    expect(validatePause(input({ duration: undefined, expiresAt: iso(NOW + 30 * DAY) }), NOW).ok).toBe(true);
  });

  it.each<[string, Partial<PauseInput>, string]>([
    [
      'both',
      { expiresAt: iso(NOW + MINUTE) },
      'give exactly one of duration (e.g. "30m") or expiresAt (e.g. "2024-05-01T12:00:00Z")',
    ],
    [
      'neither',
      { duration: undefined },
      'give exactly one of duration (e.g. "30m") or expiresAt (e.g. "2024-05-01T12:00:00Z")',
    ],
    [
      'a bad duration',
      { duration: '1d' },
      'duration "1d" is not a positive duration such as 30m, 2h or 1h30m',
    ],
    [
      'a zero duration',
      { duration: '0s' },
      'duration "0s" is not a positive duration such as 30m, 2h or 1h30m',
    ],
    [
      'a date without a time',
      { duration: undefined, expiresAt: '2024-05-02' },
      'expiresAt "2024-05-02" is not an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z',
    ],
    [
      'a time without a zone',
      { duration: undefined, expiresAt: '2024-05-02T10:00:00' },
      'expiresAt "2024-05-02T10:00:00" is not an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z',
    ],
    [
      'an impossible time',
      { duration: undefined, expiresAt: '2024-05-02T25:00:00Z' },
      'expiresAt "2024-05-02T25:00:00Z" is not an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z',
    ],
    [
      'a day the month does not have',
      { duration: undefined, expiresAt: '2024-02-30T10:00:00Z' },
      'expiresAt "2024-02-30T10:00:00Z" is not an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z',
    ],
    [
      'month 13',
      { duration: undefined, expiresAt: '2024-13-01T10:00:00Z' },
      'expiresAt "2024-13-01T10:00:00Z" is not an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z',
    ],
    [
      'an expiry now',
      { duration: undefined, expiresAt: iso(NOW) },
      `expiresAt ${iso(NOW)} is not in the future`,
    ],
    [
      'an expiry in the past',
      { duration: undefined, expiresAt: '2024-04-30T10:00:00Z' },
      'expiresAt 2024-04-30T10:00:00Z is not in the future',
    ],
    ['more than 30 days', { duration: '721h' }, 'a pause may last at most 30 days; create a new one later'],
    [
      'an expiresAt past 30 days',
      { duration: undefined, expiresAt: iso(NOW + 30 * DAY + 1) },
      'a pause may last at most 30 days; create a new one later',
    ],
    ['an empty comment', { comment: '   ' }, 'comment is required: say why remediation is paused'],
    ['a long comment', { comment: 'x'.repeat(501) }, 'comment is 501 characters; at most 500 allowed'],
  ])('refuses %s', (_name, overrides, problem) => {
    expect(validatePause(input(overrides), NOW)).toEqual({ ok: false, problems: [problem] });
  });

  it('counts characters, not UTF-16 units, in the comment', () => {
    expect(validatePause(input({ comment: '🔧'.repeat(500) }), NOW).ok).toBe(true);
  });

  it('reports every problem at once, with the matcher parser’s own text', () => {
    const result = validatePause(
      { matchers: ['severity=="x"', 'env=prod staging', 'job="ok"'], duration: 'soon', comment: '' },
      NOW,
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        'matcher "severity==\\"x\\"": unknown operator "=="; use one of (=, !=, =~, !~)',
        'matcher "env=prod staging": an unquoted value cannot hold spaces; quote it: env="prod staging"',
        'duration "soon" is not a positive duration such as 30m, 2h or 1h30m',
        'comment is required: say why remediation is paused',
      ],
    });
  });
});
