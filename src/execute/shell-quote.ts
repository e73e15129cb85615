/**
 * Turns an argv into one command line for the remote login shell, so that every argument arrives as
 * literal text: `x; touch /tmp/pwned`, `$(id)`, backticks and quotes are data, never code.
 *
 * SSH sends a command as one string that the remote user's LOGIN SHELL parses, and that shell is not
 * always sh: it may be bash, dash, zsh, ksh, mksh, posh, yash, fish, tcsh or csh. Single quotes are
 * literal in all of them except for three characters, each of which is therefore written OUTSIDE the
 * quotes, escaped with a backslash (which every one of these shells reads the same way there):
 * - `'` ends the quotes everywhere: `'it'\''s'`;
 * - `\` escapes `\` and `'` inside fish's single quotes (`'x\'` does not close): `'a'\\'b'`;
 * - `!` is history expansion inside csh's and tcsh's single quotes, even under `-c`: `'a'\!'b'`.
 * What no quoting carries to all of them is refused instead: control characters (csh and tcsh refuse
 * a newline inside quotes; `$'\n'` is a bashism) and non-ASCII text (yash in the C locale, as sshd
 * starts it without a LANG, replaces the whole command with an empty one and exits 0).
 * test/integration/trust-login-shells.test.ts checks this through a real sshd against each shell.
 */
import { RemediatorError } from '../errors.ts';

/**
 * Words any shell reads as themselves. The first character is held to a stricter set because zsh
 * expands a leading `=` (`=ls` becomes `/bin/ls`) and old fish a leading `%`.
 */
const SAFE_WORD = /^[A-Za-z0-9_./-][A-Za-z0-9_./:=@%+,-]*$/;

/** The characters written outside the quotes, as `\c`. */
const ESCAPED_OUTSIDE = /(['\\!])/;

const CHAR_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x1b: 'escape',
  0x7f: 'DEL',
};

/** Quotes one argument for any login shell: safe words stay bare, the rest go in single quotes. */
export function shellQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  if (arg === '') return "''";
  // split() with a capturing group keeps the separators: odd indexes hold the escaped characters.
  return arg
    .split(ESCAPED_OUTSIDE)
    .map((part, i) => (i % 2 === 1 ? `\\${part}` : part === '' ? '' : `'${part}'`))
    .join('');
}

/** A character no quoting carries to every login shell, and where it is. */
export interface UnportableChar {
  readonly offset: number;
  /** e.g. `a control character, line feed (U+000A)` */
  readonly description: string;
}

/** The first character outside printable ASCII, space and TAB (every shell keeps a TAB in quotes). */
export function unportableChar(text: string): UnportableChar | undefined {
  for (let offset = 0; offset < text.length; offset++) {
    const code = text.codePointAt(offset)!;
    if (code === 0x09 || (code >= 0x20 && code < 0x7f)) continue;
    const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    const kind = code < 0x20 || code === 0x7f ? 'a control character' : 'a non-ASCII character';
    const name = CHAR_NAMES[code] === undefined ? hex : `${CHAR_NAMES[code]} (${hex})`;
    return { offset, description: `${kind}, ${name}` };
  }
  return undefined;
}

/** Why an unportable character is refused, for error messages here and at load. */
export const PORTABLE_RULE =
  'an ssh command line carries printable ASCII, space and TAB only, because every login shell ' +
  '(sh, bash, zsh, fish, csh, yash...) must read it the same way';

/**
 * Quotes each argument and joins them with spaces.
 *
 * @throws RemediatorError E_UNSAFE_ARG when argv is empty or an argument holds a character that
 *   unportableChar finds; the message names the argument's index and the character.
 */
export function joinArgv(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new RemediatorError(
      'E_UNSAFE_ARG',
      'the command is empty: an ssh step needs at least one argument, the program to run',
    );
  }
  argv.forEach(checkArgument);
  return argv.map(shellQuote).join(' ');
}

/** @throws RemediatorError E_UNSAFE_ARG naming the argument and its first unportable character. */
export function checkArgument(arg: string, index: number): void {
  const bad = unportableChar(arg);
  if (bad === undefined) return;
  const excerpt = JSON.stringify(arg.length > 60 ? `${arg.slice(0, 60)}…` : arg);
  throw new RemediatorError(
    'E_UNSAFE_ARG',
    `argv[${index}] ${excerpt} contains ${bad.description} at offset ${bad.offset}; ` +
      `${PORTABLE_RULE}: strip it from the label or annotation, or give the parameter a pattern ` +
      'that excludes it',
  );
}
