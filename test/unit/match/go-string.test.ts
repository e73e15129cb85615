import { describe, it, expect } from 'vitest';
import { quote, readQuoted } from '../../../src/match/go-string.ts';

describe('quote (Go %q)', () => {
  it.each([
    ['', '""'],
    ['plain', '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\temp', '"C:\\\\temp"'],
    ['a\nb\tc\rd', '"a\\nb\\tc\\rd"'],
    ['\x07\b\f\v', '"\\a\\b\\f\\v"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['été 🙂 日本', '"été 🙂 日本"'],
    ['nbsp\u00a0zwsp\u200bls\u2028', '"nbsp\\u00a0zwsp\\u200bls\\u2028"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ["it's `x` {y}", '"it\'s `x` {y}"'],
  ])('quotes %j as %s', (value, quoted) => {
    expect(quote(value)).toBe(quoted);
  });
});

describe('readQuoted', () => {
  it('stops at the closing quote and reports where it ended', () => {
    expect(readQuoted('x="ab" tail', 2)).toEqual({ ok: true, value: 'ab', end: 6 });
    expect(readQuoted('""', 0)).toEqual({ ok: true, value: '', end: 2 });
  });

  it('reads back everything quote writes', () => {
    const values = [
      '',
      'say "hi"',
      '\\',
      '\x00\x07\x7f\n',
      'été 🙂',
      '\u00a0\u2028\u{e0001}',
      'a'.repeat(1000),
    ];
    for (const value of values) {
      expect(readQuoted(quote(value), 0)).toEqual({ ok: true, value, end: quote(value).length });
    }
  });

  it('keeps a raw tab and other raw characters as they are', () => {
    expect(readQuoted('"a\tb\u00a0"', 0)).toEqual({ ok: true, value: 'a\tb\u00a0', end: 6 });
  });
});
