import { describe, expect, it } from 'vitest';
import { RemediatorError } from '../../../src/errors.ts';
import { joinArgv, shellQuote } from '../../../src/execute/shell-quote.ts';

/**
 * Splits a command line the way a POSIX shell does for the only forms joinArgv writes (bare words,
 * single quotes, and `\'`, `\\`, `\!` outside them), and fails on anything a shell would expand or
 * that fish or csh would read differently (a backslash or `!` inside single quotes), so a passing test
 * means every login shell sees exactly the original arguments. The real shells are in
 * test/integration/trust-login-shells.test.ts.
 */
function posixSplit(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated quote in ${line}`);
      const quoted = line.slice(i + 1, end);
      if (/[\\!]/.test(quoted)) throw new Error(`fish or csh would read ${quoted} differently`);
      word = (word ?? '') + quoted;
      i = end;
    } else if (c === '\\' && /['\\!]/.test(line[i + 1] ?? '')) {
      word = (word ?? '') + line[i + 1];
      i++;
    } else if (/[A-Za-z0-9_./:=@%+,-]/.test(c)) {
      word = (word ?? '') + c;
    } else {
      throw new Error(`unquoted ${JSON.stringify(c)} in ${line}`);
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function refusal(argv: readonly string[]): RemediatorError {
  try {
    joinArgv(argv);
  } catch (err) {
    if (err instanceof RemediatorError) return err;
    throw err;
  }
  throw new Error(`joinArgv accepted ${JSON.stringify(argv)}`);
}

describe('shellQuote', () => {
  it.each([
    ['systemctl', 'systemctl'],
    ['/usr/bin/x', '/usr/bin/x'],
    ['nginx.service', 'nginx.service'],
    ['--now', '--now'],
    ['key=value', 'key=value'],
    ['user@host:/path,1+2%', 'user@host:/path,1+2%'],
  ])('leaves the safe word %s bare', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  it.each([
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ["'", "\\'"],
    // fish reads \\ and \' inside single quotes as escapes; csh expands ! there.
    ['\\', '\\\\'],
    ["x\\'", "'x'\\\\\\'"],
    ['a!b', "'a'\\!'b'"],
    ['!!', '\\!\\!'],
    ['$(id)', "'$(id)'"],
    ['`id`', "'`id`'"],
    ['x; touch /tmp/pwned', "'x; touch /tmp/pwned'"],
    ['"', `'"'`],
    ['*', "'*'"],
    ['~root', "'~root'"],
    // zsh expands a leading = to a command path and old fish a leading % to a pid.
    ['=ls', "'=ls'"],
    ['%self', "'%self'"],
    ['a\tb', "'a\tb'"],
    ['été', "'été'"],
  ])('quotes %j as %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });
});

describe('joinArgv', () => {
  it('joins quoted arguments with spaces', () => {
    expect(joinArgv(['systemctl', 'restart', 'my app.service'])).toBe("systemctl restart 'my app.service'");
  });

  it('gives back every argument unchanged when a POSIX shell splits the line', () => {
    const argv = [
      'printf',
      '%s\\n',
      'x; touch /tmp/pwned',
      '$(id)',
      '`id`',
      "'",
      '"',
      "''",
      "a'b'c",
      '',
      '$HOME ${IFS} !! && || | > < & ( ) { } [ ] # ?',
      "\\'",
      '\\',
      'x\\',
      '!!',
      'a!b\\c',
      'tab\there',
      '-n',
    ];
    expect(posixSplit(joinArgv(argv))).toEqual(argv);
  });

  it('refuses an empty argv', () => {
    const err = refusal([]);
    expect(err.code).toBe('E_UNSAFE_ARG');
    expect(err.message).toMatch(/command is empty/);
  });

  it.each([
    ['a\nb', 'line feed (U+000A) at offset 1'],
    ['a\rb', 'carriage return (U+000D) at offset 1'],
    ['\0', 'NUL (U+0000) at offset 0'],
    ['ab\x1b[31m', 'escape (U+001B) at offset 2'],
    ['\x07', 'U+0007 at offset 0'],
    ['\x1f', 'U+001F at offset 0'],
    ['\x7f', 'DEL (U+007F) at offset 0'],
  ])('refuses %j and names the argument and the character', (bad, described) => {
    const err = refusal(['echo', 'fine', bad]);
    expect(err.code).toBe('E_UNSAFE_ARG');
    expect(err.message).toContain(
      `argv[2] ${JSON.stringify(bad)} contains a control character, ${described}`,
    );
  });

  it('shortens a long refused argument in the message', () => {
    const err = refusal([`${'a'.repeat(100)}\n`]);
    expect(err.message).toContain(`argv[0] "${'a'.repeat(60)}…"`);
  });

  it('accepts TAB', () => {
    expect(joinArgv(['echo', 'a\tb'])).toBe("echo 'a\tb'");
  });

  it.each([
    ['vét', 'U+00E9 at offset 1'],
    ['\u0085', 'U+0085 at offset 0'],
    ['a\u2028', 'U+2028 at offset 1'],
    ['ok 🙂', 'U+1F642 at offset 3'],
  ])('refuses the non-ASCII %j (yash in the C locale would drop the command)', (bad, described) => {
    const err = refusal(['echo', bad]);
    expect(err.code).toBe('E_UNSAFE_ARG');
    expect(err.message).toContain(
      `argv[1] ${JSON.stringify(bad)} contains a non-ASCII character, ${described}`,
    );
  });
});
