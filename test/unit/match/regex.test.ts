import { describe, it, expect } from 'vitest';
import { RE2JS } from 're2js';
import { compileAnchoredRegex, literalAlternatives } from '../../../src/match/regex.ts';
import { matcherErrorOf, seededRandom } from './helpers.ts';

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

describe('literalAlternatives', () => {
  it.each([
    ['api', ['api']],
    ['api|web-1|db:5432', ['api', 'web-1', 'db:5432']],
    ['a||a|', ['a', '']],
    ['', ['']],
    ['ok, fine @ 10% ~ = ! é 🙂', ['ok, fine @ 10% ~ = ! é 🙂']],
  ])('reads %j as plain text', (source, literals) => {
    expect(literalAlternatives(source)).toEqual(literals);
  });

  it.each(['a.b', 'a|b*', '(a|b)', '[ab]', 'a{2}', '^a', 'a$', 'a\\|b', '(?i)a', 'a+', 'a?'])(
    'leaves %j to the regex engine',
    (source) => {
      expect(literalAlternatives(source)).toBeUndefined();
    },
  );

  it('gives the same answers as the engine on generated patterns and values', () => {
    const random = seededRandom(7);
    const alphabet = ['a', 'b', '-', ' ', 'é', '🙂', '|', '.', '*', '\n'];
    const word = (max: number): string =>
      Array.from(
        { length: Math.floor(random() * max) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
    let literal = 0;
    for (let i = 0; i < 2000; i += 1) {
      const source = word(6);
      let engine;
      try {
        engine = RE2JS.compile(source);
      } catch {
        continue;
      }
      if (literalAlternatives(source) !== undefined) literal += 1;
      const re = compileAnchoredRegex(source);
      for (const value of [word(4), source, ...source.split('|')]) {
        expect(re.test(value), `${JSON.stringify(source)} on ${JSON.stringify(value)}`).toBe(
          engine.matches(value),
        );
      }
    }
    expect(literal).toBeGreaterThan(200);
  });
});
