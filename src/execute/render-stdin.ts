import { RemediatorError } from '../errors.ts';
import type { Template, TemplateContext } from '../types.ts';

/**
 * What alert data may not bring into stdin, which often feeds line protocols (HAProxy's runtime API):
 * line breaks of every kind (C0 and C1 controls, NEL, U+2028, U+2029), NUL, `;` (HAProxy runs several
 * commands on one line separated by it) and `\` (its escape character, which could merge or split the
 * runbook's own commands). The runbook's own text may hold any of them.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it is there to find
const STDIN_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029;\\]/;

/**
 * Renders stdin, refusing it when a value it uses holds a STDIN_UNSAFE character: each such value is
 * swapped for a copy without those characters and the template rendered again; a different text means
 * the template uses the value. Values it does not use (a multi-line description) do not matter.
 */
export function renderStdin(template: Template, context: TemplateContext, step: string): string {
  const rendered = template(context);
  for (const [name, value, replaced] of dataValues(context)) {
    const bad = STDIN_UNSAFE.exec(value);
    if (bad === null) continue;
    const clean = value.replace(new RegExp(STDIN_UNSAFE.source, 'g'), '_');
    if (template(replaced(clean)) === rendered) continue;
    const code = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    const shown = /[;\\]/.test(bad[0]) ? `"${bad[0]}" (${code})` : code;
    throw new RemediatorError(
      'E_UNSAFE_ARG',
      `step "${step}": stdin would get ${shown} from ${name} at offset ` +
        `${bad.index}; alert data in stdin may not hold control characters, line separators, ";" or ` +
        '"\\", which a line protocol such as HAProxy\'s runtime API reads as a second command: give ' +
        'the parameter a pattern that excludes them',
    );
  }
  return rendered;
}

/** Every value of a context that comes from the alert, named, with a way to swap it for another. */
function dataValues(
  context: TemplateContext,
): [name: string, value: string, replaced: (v: string) => TemplateContext][] {
  const out: [string, string, (v: string) => TemplateContext][] = [];
  for (const root of ['labels', 'annotations', 'params', 'alert'] as const) {
    for (const [key, value] of Object.entries(context[root])) {
      if (typeof value !== 'string') continue;
      out.push([`${root}.${key}`, value, (v) => ({ ...context, [root]: { ...context[root], [key]: v } })]);
    }
  }
  out.push(['target', context.target, (v) => ({ ...context, target: v })]);
  return out;
}
