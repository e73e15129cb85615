import { RemediatorError } from '../errors.ts';
import type { Labels, Matcher, MatchType } from '../types.ts';
import { quote, readQuoted } from './go-string.ts';
import { compileAnchoredRegex, type AnchoredRegex } from './regex.ts';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_NAME_RULE =
  'label names hold only letters, digits and underscores, and do not start with a digit';
const OPERATORS: ReadonlySet<string> = new Set(['=', '!=', '=~', '!~']);
const OPERATOR_LIST = '(=, !=, =~, !~)';
// Alertmanager's UTF-8 matcher parser reserves these outside quotes; rejecting them keeps our files
// valid for amtool too, and the error shows the quoted form to use instead.
const RESERVED_UNQUOTED = /[{}!=~,"'`\\]/;

/** The value of a label, where an absent label counts as the empty string (Alertmanager's semantics). */
export function labelValue(labels: Labels, name: string): string {
  // hasOwn: `constructor` or `toString` are valid label names and must not read Object.prototype.
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : '';
}

/**
 * Builds a matcher from its parts; `text` is the canonical `name="value"` form with Go `%q` quoting.
 *
 * @throws RemediatorError E_MATCHER if the name is not a label name or a regex does not compile.
 */
export function createMatcher(name: string, type: MatchType, value: string): Matcher {
  return buildMatcher(`${name}${type}${quote(value)}`, name, type, value);
}

/** `written` is the matcher as its author wrote it, so that errors quote what they can find in their file. */
function buildMatcher(written: string, name: string, type: MatchType, value: string): Matcher {
  if (!LABEL_NAME.test(name)) {
    throw matcherError(written, `label name ${quote(name)} is invalid: ${LABEL_NAME_RULE}`);
  }
  const text = `${name}${type}${quote(value)}`;
  return Object.freeze({ name, type, value, text, matches: predicate(written, name, type, value) });
}

function predicate(
  written: string,
  name: string,
  type: MatchType,
  value: string,
): (labels: Labels) => boolean {
  if (type === '=') return (labels) => labelValue(labels, name) === value;
  if (type === '!=') return (labels) => labelValue(labels, name) !== value;
  let regex: AnchoredRegex;
  try {
    regex = compileAnchoredRegex(value);
  } catch (err) {
    if (!(err instanceof RemediatorError)) throw err;
    throw matcherError(written, err.message, err);
  }
  if (type === '=~') return (labels) => regex.test(labelValue(labels, name));
  return (labels) => !regex.test(labelValue(labels, name));
}

/**
 * Parses one matcher in Alertmanager's syntax, as written in amtool and in alertmanager.yml `matchers:`:
 * `name="value"`, `name!="value"`, `name=~"regex"` or `name!~"regex"`, with optional spaces around the
 * operator. The value is double-quoted (Go escapes such as `\"`, `\\`, `\n`) or unquoted (no spaces,
 * commas, quotes, braces, `!`, `=`, `~` or backslashes). Regexes are RE2 and match the whole value.
 *
 * @throws RemediatorError E_MATCHER whose message quotes `text` and says how to fix it.
 */
export function parseMatcher(text: string): Matcher {
  const fail = (problem: string): never => {
    throw matcherError(text, problem);
  };
  // JavaScript strings can hold halves of a surrogate pair, which no UTF-8 label value can equal.
  if (/\p{Cs}/u.test(text)) fail('holds an unpaired UTF-16 surrogate, which is not valid text');
  const at = skipSpace(text, 0);
  if (at === text.length) fail('is empty; write name="value", e.g. severity="critical"');
  if (text[at] === '{') fail('remove the braces: write one matcher per list item, e.g. severity="critical"');
  const name = readLabelName(text, at, fail);
  const type = readOperator(text, skipSpace(text, name.end), fail);
  const value = readValue(text, skipSpace(text, type.end), type.value, name.value, fail);
  const rest = text.slice(skipSpace(text, value.end));
  if (rest !== '') {
    if (value.quoted) fail(`unexpected ${quote(rest)} after the value; write one matcher per list item`);
    const whole = text.slice(skipSpace(text, type.end)).trimEnd();
    fail(`an unquoted value cannot hold spaces; quote it: ${name.value}${type.value}${quote(whole)}`);
  }
  return buildMatcher(text, name.value, type.value, value.value);
}

/** Parses a runbook's `match:` list; the first invalid item throws. */
export function parseMatchers(texts: readonly string[]): Matcher[] {
  return texts.map(parseMatcher);
}

interface Read<T> {
  readonly value: T;
  readonly end: number;
}
type Fail = (problem: string) => never;

function readLabelName(text: string, at: number, fail: Fail): Read<string> {
  const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at))?.[0];
  if (name !== undefined) return { value: name, end: at + name.length };
  if (text[at] === '"') return fail(`write the label name without quotes; ${LABEL_NAME_RULE}`);
  if (/^[=!~]/.test(text.slice(at))) return fail('expected a label name before the operator');
  return fail(`expected a label name, found ${quote(firstChar(text, at))}; ${LABEL_NAME_RULE}`);
}

function readOperator(text: string, at: number, fail: Fail): Read<MatchType> {
  // Take every operator character, so that `==` or `=!` is reported as such and not as an odd value.
  const operator = /^[=!~]*/.exec(text.slice(at))?.[0] ?? '';
  if (OPERATORS.has(operator)) return { value: operator as MatchType, end: at + operator.length };
  if (operator !== '') return fail(`unknown operator ${quote(operator)}; use one of ${OPERATOR_LIST}`);
  const expected = `expected an operator ${OPERATOR_LIST} after the label name`;
  if (at === text.length) return fail(expected);
  const found = `${expected}, found ${quote(firstChar(text, at))}`;
  // A character glued to the name (`service-name`) means the name itself is wrong, not the operator.
  const glued = !/\s/.test(text[at - 1] ?? '');
  return fail(glued ? `${found}; ${LABEL_NAME_RULE}` : found);
}

function readValue(
  text: string,
  at: number,
  operator: MatchType,
  name: string,
  fail: Fail,
): Read<string> & { readonly quoted: boolean } {
  if (at === text.length) {
    return fail(`expected a value after ${quote(operator)}; write "" for an empty or absent label`);
  }
  if (text[at] === '"') {
    const read = readQuoted(text, at);
    return read.ok ? { value: read.value, end: read.end, quoted: true } : fail(read.problem);
  }
  const end = text.slice(at).search(/\s|$/) + at;
  const value = text.slice(at, end);
  const reserved = RESERVED_UNQUOTED.exec(value)?.[0];
  if (reserved !== undefined) {
    const hint = reserved === ',' ? ', or write one matcher per list item' : '';
    fail(
      `unquoted value ${quote(value)} contains ${quote(reserved)}; ` +
        `quote the value: ${name}${operator}${quote(value)}${hint}`,
    );
  }
  return { value, end, quoted: false };
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && /\s/.test(text[i]!)) i += 1;
  return i;
}

function firstChar(text: string, at: number): string {
  return String.fromCodePoint(text.codePointAt(at) ?? 0);
}

function matcherError(written: string, problem: string, cause?: unknown): RemediatorError {
  return new RemediatorError('E_MATCHER', `matcher ${quote(written)}: ${problem}`, { cause });
}
