/**
 * Alert data inside a PromQL query: values are escaped so that they stay inside the string literal they
 * were written in, and the loader makes sure every value is written inside one.
 */

// Quotes become hex escapes, valid in double- and single-quoted PromQL strings alike (`\"` is an error
// inside '…' and `\'` inside "…"); a backslash and control characters take Go's short forms.
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\\', '\\\\'],
  ['"', '\\x22'],
  ["'", '\\x27'],
  ['`', '\\x60'],
  ['\x07', '\\a'],
  ['\b', '\\b'],
  ['\f', '\\f'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
  ['\v', '\\v'],
]);

/**
 * The text to put between the quotes of a PromQL string literal so that it reads back as `value`
 * (PromQL unquotes with Go's rules). Other control and format characters, and the line separators,
 * become `\u` escapes; a lone UTF-16 surrogate does too, which Prometheus refuses as a bad query.
 */
export function escapePromqlString(value: string): string {
  let out = '';
  for (const ch of value) {
    const short = ESCAPES.get(ch);
    if (short !== undefined) out += short;
    else if (/^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]$/u.test(ch)) out += unicodeEscape(ch.codePointAt(0) ?? 0);
    else out += ch;
  }
  return out;
}

function unicodeEscape(codePoint: number): string {
  const hex = codePoint.toString(16);
  return codePoint < 0x10000 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
}

/**
 * The output mustaches (`{{params.x}}`, `{{{target}}}`) of a query template that stand outside a
 * double- or single-quoted string literal: there escaping cannot hold a value in place (in a raw
 * `…` string nothing is an escape; outside strings a value is PromQL syntax). Block helpers
 * (`{{#if}}`, `{{else}}`, `{{/if}}`) and comments print nothing and may stand anywhere.
 */
export function unquotedPlaceholders(source: string): string[] {
  const found: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < source.length; i += 1) {
    const ch = source[i]!;
    if (source.startsWith('{{', i)) {
      const triple = source.startsWith('{{{', i);
      const end = source.indexOf(triple ? '}}}' : '}}', i + 2);
      const stop = end < 0 ? source.length : end + (triple ? 3 : 2);
      const mustache = source.slice(i, stop);
      const printsNothing = /^\{\{~?\s*(?:[#/!^]|else\b)/.test(mustache);
      if (!printsNothing && quote !== '"' && quote !== "'") found.push(mustache);
      i = stop - 1;
    } else if (quote === undefined) {
      // `#` starts a comment to the end of the line; a quote in it opens no string.
      if (ch === '"' || ch === "'" || ch === '`' || ch === '#') quote = ch;
    } else if (quote === '#') {
      if (ch === '\n') quote = undefined;
    } else if (ch === '\\' && quote !== '`') {
      i += 1; // an escaped character, a quote included, does not end the string
    } else if (ch === quote) {
      quote = undefined;
    }
  }
  return found;
}
