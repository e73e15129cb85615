/**
 * Characters a reader does not see as what they are: DEL and the C1 controls (U+009B is CSI to a
 * terminal reading 8-bit controls), the soft hyphen, zero-width and bidirectional formatting characters
 * (a right-to-left override shows an argument reversed), the line and paragraph separators, the BOM.
 * JSON.stringify escapes only C0 controls; alert values may hold any of these.
 */
export const INVISIBLE =
  /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u206f\ufeff]/g;

/** Writes each INVISIBLE character of `text` as a `\uXXXX` escape. */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON for a human to read (an approver, a terminal): the same value JSON.stringify gives, with every
 * INVISIBLE character escaped. They only occur inside strings, where `\uXXXX` means the same.
 */
export function visibleJson(value: unknown, indent?: number): string {
  return showInvisible(JSON.stringify(value, null, indent));
}

/**
 * Text for a terminal: C0 controls (an escape sequence, a newline that would forge a line) and every
 * INVISIBLE character written as `\uXXXX`, so alert data can neither drive the terminal nor disguise
 * itself.
 */
export function terminalText(text: string): string {
  return showInvisible(
    // eslint-disable-next-line no-control-regex
    text.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}
