/**
 * Go double-quoted strings, as Alertmanager prints (`%q`) and reads (`strconv.Unquote`) matcher values.
 * Sharing Go's rules means a matcher's canonical text parses back to the same value, here and in amtool.
 */

const SHORT_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\x07', '\\a'],
  ['\b', '\\b'],
  ['\f', '\\f'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
  ['\v', '\\v'],
  ['"', '\\"'],
  ['\\', '\\\\'],
]);
const SHORT_UNESCAPES: ReadonlyMap<string, string> = new Map(
  [...SHORT_ESCAPES].map(([raw, esc]) => [esc[1]!, raw]),
);

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. Anything else
// (controls, format characters, other spaces, line separators) is escaped so the text stays one visible line.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const HEX_ESCAPES: ReadonlyMap<string, { readonly digits: number; readonly form: RegExp }> = new Map([
  ['x', { digits: 2, form: /^[0-9a-fA-F]{2}$/ }],
  ['u', { digits: 4, form: /^[0-9a-fA-F]{4}$/ }],
  ['U', { digits: 8, form: /^[0-9a-fA-F]{8}$/ }],
]);
const UNTERMINATED: Unquoted = {
  ok: false,
  problem: 'the value has no closing double quote; end it with " (write \\" for a quote inside it)',
};

/** Quotes a string like Go's `%q`: `a"b` -> `"a\"b"`, a newline -> `\n`, other unprintables -> `\x..`/`\u....`. */
export function quote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const short = SHORT_ESCAPES.get(ch);
    if (short !== undefined) out += short;
    else if (PRINTABLE.test(ch)) out += ch;
    else out += hexEscape(ch.codePointAt(0) ?? 0);
  }
  return out + '"';
}

function hexEscape(codePoint: number): string {
  const hex = codePoint.toString(16);
  if (codePoint < 0x80) return `\\x${hex.padStart(2, '0')}`;
  if (codePoint < 0x10000) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

export type Unquoted =
  | { readonly ok: true; readonly value: string; readonly end: number }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads the double-quoted string that starts at `text[start]` (which must be `"`), returning its value and
 * the index just past the closing quote, or a problem that says how to write the value instead.
 */
export function readQuoted(text: string, start: number): Unquoted {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') return { ok: true, value, end: i + 1 };
    if (ch === '\n')
      return { ok: false, problem: 'the quoted value holds a raw line break; write it as \\n' };
    if (ch !== '\\') {
      value += ch;
      i += 1;
      continue;
    }
    const escape = readEscape(text, i);
    if (!escape.ok) return escape;
    value += escape.value;
    i = escape.end;
  }
  return UNTERMINATED;
}

/** Reads the escape sequence whose backslash is at `text[at]`. */
function readEscape(text: string, at: number): Unquoted {
  const next = text.codePointAt(at + 1);
  if (next === undefined) return UNTERMINATED;
  const letter = String.fromCodePoint(next);
  const simple = SHORT_UNESCAPES.get(letter);
  if (simple !== undefined) return { ok: true, value: simple, end: at + 2 };
  const hexForm = HEX_ESCAPES.get(letter);
  if (hexForm === undefined) {
    return {
      ok: false,
      problem:
        `invalid escape \\${letter} in the quoted value: inside double quotes a backslash starts an escape ` +
        `(\\" \\\\ \\n \\t \\xNN \\uNNNN), so write \\\\${letter} for a backslash followed by ${letter}`,
    };
  }
  const { digits, form } = hexForm;
  const hex = text.slice(at + 2, at + 2 + digits);
  if (!form.test(hex)) {
    const run = /^[0-9a-fA-F]*/.exec(hex)?.[0] ?? '';
    return {
      ok: false,
      problem: `escape \\${letter}${run} is incomplete: \\${letter} takes ${digits} hex digits`,
    };
  }
  const escape = `\\${letter}${hex}`;
  const codePoint = parseInt(hex, 16);
  if (letter === 'x' && codePoint > 0x7f) {
    return {
      ok: false,
      problem: `escape ${escape} is a raw byte, not a character; write the character itself or its \\u code point`,
    };
  }
  if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
    return { ok: false, problem: `escape ${escape} is not a valid Unicode code point` };
  }
  return { ok: true, value: String.fromCodePoint(codePoint), end: at + 2 + digits };
}
