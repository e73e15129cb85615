import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';
import { RemediatorError } from '../errors.ts';
import { quote } from './go-string.ts';

/** A compiled pattern that must match a whole value. */
export interface AnchoredRegex {
  /** The pattern as written, without the implicit anchors. */
  readonly source: string;
  /** True when the pattern matches all of `value` (never a part of it). */
  test(value: string): boolean;
}

// Characters with a meaning in RE2 outside a character class; a pattern free of them is plain text.
const REGEX_META = /[\\.+*?()[\]{}^$]/;

/**
 * Largest compiled program (RE2 instructions) a pattern may have, literal lists (`a|b|c`, matched by set
 * lookup) aside. Matching time grows with the program: nested counted repetitions such as
 * `((a{1,10}){1,10}){1,10}` (2,221 instructions) take ~200 ms per label whatever its length, while
 * every pattern the shipped runbooks use stays under 150 and `[a-z]{0,255}` is 512.
 */
export const MAX_PROGRAM_SIZE = 1000;

/**
 * A value longer than this (UTF-16 code units, 16 KiB of ASCII) matches no regex: `=~` does not hold,
 * `!~` does, a param's pattern refuses it. Alertmanager puts no limit on label values; this one bounds
 * the work a single alert can ask of the matcher. It gives whoever sends alerts nothing new: a short
 * value that misses the pattern has the same effect.
 */
export const MAX_REGEX_INPUT = 16 * 1024;

/** The names of the labels whose values are too long for any regex to look at (see MAX_REGEX_INPUT). */
export function overlongLabels(labels: Readonly<Record<string, string>>): string[] {
  return Object.keys(labels).filter((name) => (labels[name]?.length ?? 0) > MAX_REGEX_INPUT);
}

const SYNTAX_HINT =
  'use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) ' +
  'and put a backslash before a literal ( ) [ { . * + ? |';

/**
 * Compiles `source` with RE2 semantics, anchored at both ends as Alertmanager and Prometheus do.
 *
 * RE2 (here re2js, pure JavaScript) runs in time linear in the input, so a label value chosen by whoever
 * can raise an alert cannot stall the process with a pathological pattern such as `(a+)+$`.
 * The pattern is compiled on its own and matched in full-match mode instead of being pasted into
 * `^(?:…)$`: pasting would let `a)|(b` compile into a different, unanchored pattern.
 *
 * A value longer than MAX_REGEX_INPUT never matches; a pattern whose program exceeds MAX_PROGRAM_SIZE
 * is refused.
 *
 * @throws RemediatorError E_MATCHER when the pattern does not compile or is too large; the message quotes it.
 */
export function compileAnchoredRegex(source: string): AnchoredRegex {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    const message = `invalid regex ${quote(source)}: ${describe(err, source)}; ${SYNTAX_HINT}`;
    throw new RemediatorError('E_MATCHER', message, { cause: err });
  }
  const literals = literalAlternatives(source);
  if (literals === undefined && compiled.programSize() > MAX_PROGRAM_SIZE) {
    const message =
      `regex ${quote(source)} compiles to ${compiled.programSize()} instructions, more than ${MAX_PROGRAM_SIZE}: ` +
      'matching it would cost too much per alert; avoid nesting counted repetitions such as (x{1,10}){1,10} ' +
      'and lower large counts';
    throw new RemediatorError('E_MATCHER', message);
  }
  // `api|web-1` is the common case, and a set lookup gives the engine's answer several times sooner.
  const set = literals === undefined ? undefined : new Set(literals);
  const test =
    set === undefined
      ? (value: string) => value.length <= MAX_REGEX_INPUT && compiled.matches(value)
      : (value: string) => value.length <= MAX_REGEX_INPUT && set.has(value);
  return Object.freeze({ source, test });
}

/**
 * The values a pattern matches when it is nothing but plain text joined by `|` (`api|web-1|`), without
 * duplicates; undefined for any other pattern. Lets the runbook index treat `alertname=~"A|B"` like
 * two equality matchers.
 */
export function literalAlternatives(source: string): readonly string[] | undefined {
  const parts = source.split('|');
  return parts.some((part) => REGEX_META.test(part)) ? undefined : [...new Set(parts)];
}

function describe(err: RE2JSException, source: string): string {
  if (!(err instanceof RE2JSSyntaxException)) return err.message;
  const near = err.getPattern();
  // The engine names the offending fragment; repeating it only helps when it is a part of the pattern.
  return near === null || near === '' || near === source
    ? err.getDescription()
    : `${err.getDescription()} at ${quote(near)}`;
}
