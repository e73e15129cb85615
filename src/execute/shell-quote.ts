/**
 * Turns an argv into one command line for the remote login shell, so that every argument arrives as
 * literal text: `x; touch /tmp/pwned`, `$(id)`, backticks and quotes are data, never code.
 *
 * Why single quotes and nothing cleverer: SSH sends a command as one string that the login shell of the
 * remote user parses, and that shell is not always bash. Single quotes mean "literal" in sh, dash, bash,
 * ksh and zsh, and nearly so in csh and fish (fish also unescapes `\\` and `\'` inside them). Control
 * characters have no portable quoting (`$'\n'` is a bashism; csh refuses a newline inside quotes), so
 * they are refused instead of being passed along.
 */
import { RemediatorError } from '../errors.ts';

/**
 * Words any shell reads as themselves. The first character is held to a stricter set because zsh
 * expands a leading `=` (`=ls` becomes `/bin/ls`) and old fish a leading `%`.
 */
const SAFE_WORD = /^[A-Za-z0-9_./-][A-Za-z0-9_./:=@%+,-]*$/;

const CHAR_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x1b: 'escape',
};

/** Quotes one argument for a POSIX shell: safe words stay bare, the rest go in single quotes. */
export function shellQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  // Inside single quotes nothing is special, not even a backslash, so a quote is written by closing
  // the quoted part, adding an escaped quote and reopening: it'\''s.
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quotes each argument and joins them with spaces.
 *
 * @throws RemediatorError E_UNSAFE_ARG when argv is empty or an argument holds a control character
 *   other than TAB; the message names the argument's index and the character.
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

/** Index of the first C0 control character other than TAB, which shells keep as-is inside quotes. */
function controlCharAt(arg: string): number {
  for (let i = 0; i < arg.length; i++) {
    const code = arg.charCodeAt(i);
    if (code < 0x20 && code !== 0x09) return i;
  }
  return -1;
}

function checkArgument(arg: string, index: number): void {
  const offset = controlCharAt(arg);
  if (offset === -1) return;
  const code = arg.charCodeAt(offset);
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHAR_NAMES[code] === undefined ? hex : `${CHAR_NAMES[code]} (${hex})`;
  const excerpt = JSON.stringify(arg.length > 60 ? `${arg.slice(0, 60)}…` : arg);
  throw new RemediatorError(
    'E_UNSAFE_ARG',
    `argv[${index}] ${excerpt} contains a control character, ${name} at offset ${offset}; ` +
      'control characters cannot be passed safely to a remote shell: strip them from the label or ' +
      'annotation, or give the parameter a pattern that excludes them',
  );
}
