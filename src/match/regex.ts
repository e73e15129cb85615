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
 * @throws RemediatorError E_MATCHER when the pattern does not compile; the message quotes it.
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
  // `api|web-1` is the common case, and a set lookup gives the engine's answer several times sooner.
  const set = literals === undefined ? undefined : new Set(literals);
  const test =
    set === undefined ? (value: string) => compiled.matches(value) : (value: string) => set.has(value);
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
