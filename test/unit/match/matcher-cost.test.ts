import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { parseMatcher } from '../../../src/match/matcher.ts';
import {
  compileAnchoredRegex,
  MAX_PROGRAM_SIZE,
  MAX_REGEX_INPUT,
  overlongLabels,
} from '../../../src/match/regex.ts';
import { matcherErrorOf } from './helpers.ts';

/**
 * What one alert may cost the matcher. A runbook regex with nested counted repetitions took ~200 ms per
 * label (60 such alerts held the webhook for seconds); such patterns are refused at load, and no regex
 * looks at a label value longer than MAX_REGEX_INPUT.
 */
const TOO_BIG =
  'regex "((a{1,10}){1,10}){1,10}" compiles to 2221 instructions, more than 1000: matching it would cost ' +
  'too much per alert; avoid nesting counted repetitions such as (x{1,10}){1,10} and lower large counts';

describe('load: regexes whose program is too large', () => {
  it('refuses nested counted repetitions', () => {
    expect(matcherErrorOf(() => compileAnchoredRegex('((a{1,10}){1,10}){1,10}'))).toBe(TOO_BIG);
    expect(matcherErrorOf(() => compileAnchoredRegex('(a?){1,400}'))).toMatch(
      /compiles to 2001 instructions/,
    );
  });

  it('names file:line in a runbook matcher and a param pattern', () => {
    const text = `name: rb
match:
  - alertname = "A"
  - service =~ "((a{1,10}){1,10}){1,10}"
target: '{{labels.instance}}'
params:
  p: { from: '{{labels.p}}', pattern: '((a{1,10}){1,10}){1,10}' }
steps:
  - name: s
    ssh: { command: [x, '{{params.p}}'] }
`;
    expect(parseRunbook('rb.yaml', text).problems).toEqual([
      `rb.yaml:4: match[1]: matcher "service =~ \\"((a{1,10}){1,10}){1,10}\\"": ${TOO_BIG}`,
      `rb.yaml:7: param "p": ${TOO_BIG}`,
    ]);
  });

  it('keeps what real runbooks use, and long lists of names (matched by set lookup)', () => {
    for (const source of [
      '[A-Za-z0-9][A-Za-z0-9.-]{0,62}:[0-9]{1,5}',
      '[a-z]{0,255}',
      '(?i)web-[0-9]+|api-.*',
      Array.from({ length: 300 }, (_, i) => `service-number-${i}`).join('|'),
    ]) {
      expect(() => compileAnchoredRegex(source)).not.toThrow();
    }
    expect(MAX_PROGRAM_SIZE).toBe(1000);
  });
});

describe('run: label values too long for any regex', () => {
  const at = 'a'.repeat(MAX_REGEX_INPUT);
  const over = `${at}a`;

  it('match no regex: =~ does not hold, !~ does, a param pattern refuses', () => {
    expect(parseMatcher('v =~ "a*"').matches({ v: at })).toBe(true);
    expect(parseMatcher('v =~ "a*"').matches({ v: over })).toBe(false);
    expect(parseMatcher('v =~ ".*"').matches({ v: over })).toBe(false);
    expect(parseMatcher('v !~ "a*"').matches({ v: over })).toBe(true);
    expect(compileAnchoredRegex('(?s).*').test(over)).toBe(false);
  });

  it('still compare as text with = and != (linear, no engine)', () => {
    expect(parseMatcher(`v = "${over}"`).matches({ v: over })).toBe(true);
    expect(parseMatcher('v != "x"').matches({ v: over })).toBe(true);
  });

  it('are named for the metric and the log', () => {
    expect(overlongLabels({ a: at, b: over, c: 'x' })).toEqual(['b']);
    expect(MAX_REGEX_INPUT).toBe(16 * 1024);
  });
});
