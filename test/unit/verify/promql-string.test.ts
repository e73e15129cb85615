import { describe, expect, it } from 'vitest';
import { escapePromqlString, unquotedPlaceholders } from '../../../src/verify/promql-string.ts';

describe('escapePromqlString', () => {
  it.each([
    ['plain', 'plain'],
    ['x"} or vector(1) or up{service="y', 'x\\x22} or vector(1) or up{service=\\x22y'],
    ["x'} or vector(1)", 'x\\x27} or vector(1)'],
    ['`id`', '\\x60id\\x60'],
    ['a\\', 'a\\\\'],
    ['\\"', '\\\\\\x22'],
    ['a\nb\r\t\0', 'a\\nb\\r\\t\\u0000'],
    ['\u2028\u200b', '\\u2028\\u200b'],
    ['é 🙂 $(id) ; rm -rf /', 'é 🙂 $(id) ; rm -rf /'],
  ])('escapes %j', (value, escaped) => {
    expect(escapePromqlString(value)).toBe(escaped);
  });
});

describe('unquotedPlaceholders', () => {
  it.each([
    ['up{a="{{params.a}}"}', []],
    ["up{a='{{params.a}}'}", []],
    ['up{a="x\\"{{params.a}}"}', []],
    ['up{a="{{{params.a}}}"} > 1', []],
    ['{{#if params.a}}up{a="{{params.a}}"}{{else}}up{{/if}}', []],
    ['up > {{params.a}}', ['{{params.a}}']],
    ['up{a=`{{params.a}}`}', ['{{params.a}}']],
    ['up{a="x"} > {{{target}}}', ['{{{target}}}']],
    ['# it"s\nup{a={{params.a}}}', ['{{params.a}}']],
    ['up{a="\\\\"} > {{params.a}}', ['{{params.a}}']],
  ])('in %j finds %j', (source, found) => {
    expect(unquotedPlaceholders(source)).toEqual(found);
  });
});
