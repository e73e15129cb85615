import { describe, it, expect } from 'vitest';
import { compileAnchoredRegex } from '../../../src/match/regex.ts';
import { matcherErrorOf } from './helpers.ts';

const HINT =
  'use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) ' +
  'and put a backslash before a literal ( ) [ { . * + ? |';

describe('compileAnchoredRegex', () => {
  it('keeps the source as written', () => {
    expect(compileAnchoredRegex('a|b').source).toBe('a|b');
  });

  it('matches whole values only', () => {
    const re = compileAnchoredRegex('a');
    expect(re.test('a')).toBe(true);
    expect(re.test('ab')).toBe(false);
    expect(re.test('ba')).toBe(false);
    expect(re.test('')).toBe(false);
  });

  it('anchors every alternative, not only the first and the last', () => {
    const re = compileAnchoredRegex('a|ab|b');
    expect(re.test('ab')).toBe(true);
    expect(re.test('abc')).toBe(false);
    expect(re.test('xb')).toBe(false);
  });

  it('follows RE2 semantics: flags, classes, dot without newline, $ at the very end', () => {
    expect(compileAnchoredRegex('(?i)web-[0-9]+').test('WEB-12')).toBe(true);
    expect(compileAnchoredRegex('\\pL+').test('héllo')).toBe(true);
    expect(compileAnchoredRegex('.').test('🙂')).toBe(true);
    expect(compileAnchoredRegex('a.b').test('a\nb')).toBe(false);
    expect(compileAnchoredRegex('a$').test('a\n')).toBe(false);
    expect(compileAnchoredRegex('').test('')).toBe(true);
    expect(compileAnchoredRegex('.*').test('anything at all')).toBe(true);
  });

  it('rejects a pattern that would escape its anchors if pasted into ^(?:…)$', () => {
    expect(matcherErrorOf(() => compileAnchoredRegex('a)|(b'))).toBe(
      `invalid regex "a)|(b": unexpected ); ${HINT}`,
    );
  });

  it.each([
    ['user-(', 'invalid regex "user-(": missing closing )'],
    ['[z-a]', 'invalid regex "[z-a]": invalid character class range at "z-a"'],
    ['*', 'invalid regex "*": missing argument to repetition operator'],
    ['a**', 'invalid regex "a**": invalid nested repetition operator at "**"'],
    ['a{1001}', 'invalid regex "a{1001}": invalid repeat count at "{1001}"'],
    ['(?=x)', 'invalid regex "(?=x)": invalid or unsupported Perl syntax at "(?="'],
    ['(a)\\1', 'invalid regex "(a)\\\\1": invalid escape sequence at "\\\\1"'],
    ['[a"\n', 'invalid regex "[a\\"\\n": missing closing ]'],
  ])('rejects %j with a message that quotes it', (source, problem) => {
    const message = matcherErrorOf(() => compileAnchoredRegex(source));
    expect(message).toBe(`${problem}; ${HINT}`);
  });
});
