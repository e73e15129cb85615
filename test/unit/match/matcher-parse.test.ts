import { describe, it, expect } from 'vitest';
import { createMatcher, parseMatcher, parseMatchers } from '../../../src/match/matcher.ts';
import { matcherErrorOf } from './helpers.ts';

const NAME_RULE = 'label names hold only letters, digits and underscores, and do not start with a digit';
const REGEX_HINT =
  'use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) ' +
  'and put a backslash before a literal ( ) [ { . * + ? |';

function parts(text: string): [string, string, string, string] {
  const m = parseMatcher(text);
  return [m.name, m.type, m.value, m.text];
}

describe('parseMatcher: operators and values', () => {
  it.each([
    ['severity="critical"', ['severity', '=', 'critical', 'severity="critical"']],
    ['severity!="info"', ['severity', '!=', 'info', 'severity!="info"']],
    ['service=~"user-.*|order"', ['service', '=~', 'user-.*|order', 'service=~"user-.*|order"']],
    ['service!~"canary-.+"', ['service', '!~', 'canary-.+', 'service!~"canary-.+"']],
    ['severity=critical', ['severity', '=', 'critical', 'severity="critical"']],
    ['severity!=info', ['severity', '!=', 'info', 'severity!="info"']],
    ['code=~5..', ['code', '=~', '5..', 'code=~"5.."']],
    ['code!~[45]..', ['code', '!~', '[45]..', 'code!~"[45].."']],
    ['_private_9="x"', ['_private_9', '=', 'x', '_private_9="x"']],
    ['face=🙂bar', ['face', '=', '🙂bar', 'face="🙂bar"']],
  ])('parses %j', (text, expected) => {
    expect(parts(text)).toEqual(expected);
  });

  it.each([
    ['alertname = "HighMemoryUsage"'],
    ['  alertname="HighMemoryUsage"  '],
    ['alertname\t=\t"HighMemoryUsage"'],
    ['alertname= HighMemoryUsage'],
    ['alertname =HighMemoryUsage '],
  ])('allows whitespace around the operator and the matcher: %j', (text) => {
    expect(parseMatcher(text).text).toBe('alertname="HighMemoryUsage"');
  });

  it('keeps whitespace inside a quoted value', () => {
    expect(parseMatcher('summary = "  two  spaces "').value).toBe('  two  spaces ');
  });

  it('accepts the empty value, quoted only', () => {
    expect(parts('team=""')).toEqual(['team', '=', '', 'team=""']);
    expect(parts('team!=""')).toEqual(['team', '!=', '', 'team!=""']);
  });

  it.each([
    ['q="say \\"hi\\""', 'say "hi"', 'q="say \\"hi\\""'],
    ['q="C:\\\\temp"', 'C:\\temp', 'q="C:\\\\temp"'],
    ['q="line1\\nline2"', 'line1\nline2', 'q="line1\\nline2"'],
    ['q="tab\\there"', 'tab\there', 'q="tab\\there"'],
    ['q="bell\\a\\x01"', 'bell\x07\x01', 'q="bell\\a\\x01"'],
    ['q="\\u00e9t\\u00e9"', 'été', 'q="été"'],
    ['q="\\U0001F642"', '🙂', 'q="🙂"'],
    ['q="nbsp\\u00a0"', 'nbsp\u00a0', 'q="nbsp\\u00a0"'],
    ['q=~"\\\\d+\\\\.example\\\\.com"', '\\d+\\.example\\.com', 'q=~"\\\\d+\\\\.example\\\\.com"'],
    ['q="it\'s, {fine} = ~!"', "it's, {fine} = ~!", 'q="it\'s, {fine} = ~!"'],
  ])('reads escapes in %j', (text, value, canonical) => {
    const m = parseMatcher(text);
    expect(m.value).toBe(value);
    expect(m.text).toBe(canonical);
    expect(parseMatcher(m.text).value).toBe(value);
  });
});

describe('parseMatcher: errors say what is wrong and how to fix it', () => {
  it.each([
    ['', 'matcher "": is empty; write name="value", e.g. severity="critical"'],
    ['   ', 'matcher "   ": is empty; write name="value", e.g. severity="critical"'],
    ['severity', 'matcher "severity": expected an operator (=, !=, =~, !~) after the label name'],
    [
      'severity critical',
      'matcher "severity critical": expected an operator (=, !=, =~, !~) after the label name, found "c"',
    ],
    [
      'service-name="api"',
      `matcher "service-name=\\"api\\"": expected an operator (=, !=, =~, !~) after the label name, found "-"; ${NAME_RULE}`,
    ],
    [
      'severity=="critical"',
      'matcher "severity==\\"critical\\"": unknown operator "=="; use one of (=, !=, =~, !~)',
    ],
    [
      'severity~="crit.*"',
      'matcher "severity~=\\"crit.*\\"": unknown operator "~="; use one of (=, !=, =~, !~)',
    ],
    ['="critical"', 'matcher "=\\"critical\\"": expected a label name before the operator'],
    ['1st="x"', `matcher "1st=\\"x\\"": expected a label name, found "1"; ${NAME_RULE}`],
    [
      '"severity"="critical"',
      `matcher "\\"severity\\"=\\"critical\\"": write the label name without quotes; ${NAME_RULE}`,
    ],
    [
      '{severity="critical"}',
      'matcher "{severity=\\"critical\\"}": remove the braces: write one matcher per list item, e.g. severity="critical"',
    ],
    ['severity=', 'matcher "severity=": expected a value after "="; write "" for an empty or absent label'],
    [
      'severity =~ ',
      'matcher "severity =~ ": expected a value after "=~"; write "" for an empty or absent label',
    ],
    [
      'summary=disk full',
      'matcher "summary=disk full": an unquoted value cannot hold spaces; quote it: summary="disk full"',
    ],
    [
      'a=b,c=d',
      'matcher "a=b,c=d": unquoted value "b,c=d" contains ","; quote the value: a="b,c=d", or write one matcher per list item',
    ],
    ['n=~a{2}', 'matcher "n=~a{2}": unquoted value "a{2}" contains "{"; quote the value: n=~"a{2}"'],
    ['n=~\\d+', 'matcher "n=~\\\\d+": unquoted value "\\\\d+" contains "\\\\"; quote the value: n=~"\\\\d+"'],
    ["n=it's", 'matcher "n=it\'s": unquoted value "it\'s" contains "\'"; quote the value: n="it\'s"'],
    [
      'a="b" c="d"',
      'matcher "a=\\"b\\" c=\\"d\\"": unexpected "c=\\"d\\"" after the value; write one matcher per list item',
    ],
    ['a="b",', 'matcher "a=\\"b\\",": unexpected "," after the value; write one matcher per list item'],
    [
      'a="open',
      'matcher "a=\\"open": the value has no closing double quote; end it with " (write \\" for a quote inside it)',
    ],
    [
      'a="open\\',
      'matcher "a=\\"open\\\\": the value has no closing double quote; end it with " (write \\" for a quote inside it)',
    ],
    [
      'a="two\nlines"',
      'matcher "a=\\"two\\nlines\\"": the quoted value holds a raw line break; write it as \\n',
    ],
    [
      'a=~"\\d+"',
      'matcher "a=~\\"\\\\d+\\"": invalid escape \\d in the quoted value: inside double quotes a backslash starts an ' +
        'escape (\\" \\\\ \\n \\t \\xNN \\uNNNN), so write \\\\d for a backslash followed by d',
    ],
    ['a="\\u12"', 'matcher "a=\\"\\\\u12\\"": escape \\u12 is incomplete: \\u takes 4 hex digits'],
    ['a="\\x4"', 'matcher "a=\\"\\\\x4\\"": escape \\x4 is incomplete: \\x takes 2 hex digits'],
    [
      'a="\\xf0"',
      'matcher "a=\\"\\\\xf0\\"": escape \\xf0 is a raw byte, not a character; write the character itself or its \\u code point',
    ],
    ['a="\\ud800"', 'matcher "a=\\"\\\\ud800\\"": escape \\ud800 is not a valid Unicode code point'],
    [
      'a="\\U00110000"',
      'matcher "a=\\"\\\\U00110000\\"": escape \\U00110000 is not a valid Unicode code point',
    ],
    ['a="\ud800"', 'matcher "a=\\"\\ud800\\"": holds an unpaired UTF-16 surrogate, which is not valid text'],
    [
      'service =~ user-(',
      `matcher "service =~ user-(": invalid regex "user-(": missing closing ); ${REGEX_HINT}`,
    ],
    [
      'service!~"a)|(b"',
      `matcher "service!~\\"a)|(b\\"": invalid regex "a)|(b": unexpected ); ${REGEX_HINT}`,
    ],
  ])('rejects %j', (text, message) => {
    expect(matcherErrorOf(() => parseMatcher(text))).toBe(message);
  });
});

describe('parseMatchers', () => {
  it('parses each item in order', () => {
    expect(parseMatchers(['alertname="A"', 'severity!~"info|debug"']).map((m) => m.text)).toEqual([
      'alertname="A"',
      'severity!~"info|debug"',
    ]);
    expect(parseMatchers([])).toEqual([]);
  });

  it('throws the error of the first invalid item', () => {
    expect(matcherErrorOf(() => parseMatchers(['a="1"', 'b', 'c=']))).toBe(
      'matcher "b": expected an operator (=, !=, =~, !~) after the label name',
    );
  });
});

describe('createMatcher', () => {
  it('builds the canonical text with Go quoting', () => {
    const m = createMatcher('summary', '=', 'say "hi"\n');
    expect(m.text).toBe('summary="say \\"hi\\"\\n"');
    expect(parseMatcher(m.text).value).toBe('say "hi"\n');
  });

  it('rejects an invalid label name or regex, quoting the canonical text', () => {
    expect(matcherErrorOf(() => createMatcher('team-name', '=', 'x'))).toBe(
      `matcher "team-name=\\"x\\"": label name "team-name" is invalid: ${NAME_RULE}`,
    );
    expect(matcherErrorOf(() => createMatcher('team', '=~', '('))).toBe(
      `matcher "team=~\\"(\\"": invalid regex "(": missing closing ); ${REGEX_HINT}`,
    );
  });

  it('returns a frozen matcher', () => {
    expect(Object.isFrozen(parseMatcher('a="b"'))).toBe(true);
  });
});
