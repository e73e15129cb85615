import { describe, it, expect } from 'vitest';
import { labelValue, parseMatcher } from '../../../src/match/matcher.ts';
import { MAX_REGEX_INPUT } from '../../../src/match/regex.ts';

const matches = (text: string, labels: Record<string, string>): boolean => parseMatcher(text).matches(labels);

// A backtracking engine needs exponential time on these; RE2 needs a few milliseconds. The bound is
// loose so a busy CI machine passes, yet orders of magnitude below what backtracking would take.
const HOSTILE_BOUND_MS = 2000;
const LONG = 100_000;
// The longest value a regex looks at (longer ones match none: see matcher-cost.test.ts).
const LONGEST = MAX_REGEX_INPUT - 1;

describe('matching semantics', () => {
  it('compares equality and inequality exactly', () => {
    expect(matches('severity="critical"', { severity: 'critical' })).toBe(true);
    expect(matches('severity="critical"', { severity: 'Critical' })).toBe(false);
    expect(matches('severity="critical"', { severity: 'critical ' })).toBe(false);
    expect(matches('severity!="critical"', { severity: 'warning' })).toBe(true);
    expect(matches('severity!="critical"', { severity: 'critical' })).toBe(false);
  });

  it('treats an absent label as the empty string', () => {
    expect(matches('team=""', {})).toBe(true);
    expect(matches('team=""', { team: '' })).toBe(true);
    expect(matches('team=""', { team: 'db' })).toBe(false);
    expect(matches('team!=""', {})).toBe(false);
    expect(matches('team!=""', { team: 'db' })).toBe(true);
    expect(matches('team="db"', {})).toBe(false);
    expect(matches('team!="db"', {})).toBe(true);
    expect(matches('team=~".*"', {})).toBe(true);
    expect(matches('team=~".+"', {})).toBe(false);
    expect(matches('team!~".+"', {})).toBe(true);
    expect(matches('team=~"db|"', {})).toBe(true);
  });

  it('does not read inherited properties as labels', () => {
    expect(matches('constructor=""', {})).toBe(true);
    expect(matches('toString!=""', {})).toBe(false);
    expect(matches('__proto__=""', {})).toBe(true);
    expect(labelValue(JSON.parse('{"__proto__":"x"}') as Record<string, string>, '__proto__')).toBe('x');
  });

  it('anchors regexes at both ends', () => {
    expect(matches('x=~"a"', { x: 'a' })).toBe(true);
    expect(matches('x=~"a"', { x: 'ab' })).toBe(false);
    expect(matches('x=~"a"', { x: 'ba' })).toBe(false);
    expect(matches('x!~"a"', { x: 'ab' })).toBe(true);
    expect(matches('x=~"user|order"', { x: 'user-service' })).toBe(false);
    expect(matches('x=~"user.*|order"', { x: 'user-service' })).toBe(true);
    expect(matches('x=~"a|ab"', { x: 'ab' })).toBe(true);
  });

  it('does not let a value spread to other labels', () => {
    expect(matches('a="x"', { b: 'x' })).toBe(false);
  });
});

describe('hostile patterns and values', () => {
  it.each([
    ['(a+)+$', 'a'.repeat(LONGEST - 1) + '!', false],
    ['(a+)+$', 'a'.repeat(LONGEST), true],
    ['(x+x+)+y', 'x'.repeat(LONGEST), false],
    ['(x+x+)+y', 'x'.repeat(LONGEST - 1) + 'y', true],
    ['(a|aa)*b', 'a'.repeat(LONGEST), false],
    ['(.*a){20}', 'a'.repeat(LONGEST - 1) + 'b', false],
    ['(\\w+\\s?)*$', 'word '.repeat(Math.floor(LONGEST / 5)) + '!', false],
  ])('evaluates %j against a 16 KiB value in linear time (case %#)', (regex, value, expected) => {
    const m = parseMatcher(`v=~${JSON.stringify(regex)}`);
    const started = performance.now();
    const result = m.matches({ v: value });
    const elapsed = performance.now() - started;
    expect(result).toBe(expected);
    expect(elapsed).toBeLessThan(HOSTILE_BOUND_MS);
  });

  it.each(
    [
      '; rm -rf /',
      '$(id)',
      '`id`',
      'a\nb',
      'say "hi"',
      "it's",
      '\\',
      '{{labels.x}}',
      '.*',
      '\u0000',
      'x'.repeat(LONG),
    ].map((value) => ({
      value,
      shown: value.length > 40 ? `of ${value.length} characters` : value,
    })),
  )('treats the label value $shown as plain data', ({ value }) => {
    expect(matches('v=".*"', { v: value })).toBe(value === '.*');
    expect(matches('v=~"[a-z]+"', { v: value })).toBe(/^[a-z]+$/.test(value) && value.length <= LONGEST);
    const exact = parseMatcher(`v=${JSON.stringify(value)}`);
    expect(exact.value).toBe(value);
    expect(exact.matches({ v: value })).toBe(true);
    expect(exact.matches({ v: value + ' ' })).toBe(false);
    expect(parseMatcher(exact.text).value).toBe(value);
  });

  it('treats regex metacharacters inside an equality value literally', () => {
    expect(matches('v="a.c"', { v: 'abc' })).toBe(false);
    expect(matches('v="(a+)+$"', { v: '(a+)+$' })).toBe(true);
  });
});
