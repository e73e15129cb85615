import type { RenderedAction } from '../types.ts';
import { showInvisible, visibleJson } from './visible-json.ts';

type Local = Extract<RenderedAction, { kind: 'exec' | 'ansible' }>;

/**
 * One line for an exec or ansible action. argv is shown as a JSON list: no shell reads it, and JSON
 * shows every element's edges and any line break in it without doubt; characters a reader would not
 * see as they are (a right-to-left override, a zero-width space) are escaped too (visible-json.ts).
 */
export function describeLocal(action: Local): string {
  if (action.kind === 'exec') {
    const env = Object.keys(action.env).length > 0 ? ` env ${visibleJson(action.env)}` : '';
    const stdin = action.stdin === undefined ? '' : ` <<< ${visibleJson(action.stdin)}`;
    return `exec ${visibleJson(action.argv)}${env}${stdin}`;
  }
  const tags = action.tags.length > 0 ? ` --tags ${action.tags.join(',')}` : '';
  const check = action.check ? ' --check --diff' : '';
  return `ansible-playbook ${action.playbook}${tags}${check} extra vars ${visibleJson(action.extraVars)}`;
}

/** The console's multi-line form: the one-line form, then env, cwd and stdin each on a line. */
export function localCommandText(action: Local): string {
  if (action.kind === 'ansible') return describeLocal(action).replace(' extra vars ', '\nextra vars ');
  const lines = [`exec ${visibleJson(action.argv)}`];
  for (const [name, value] of Object.entries(action.env)) lines.push(`${name}=${visibleJson(value)}`);
  if (action.cwd !== undefined) lines.push(`cwd ${action.cwd}`);
  if (action.stdin !== undefined) lines.push(`<<stdin\n${showInvisible(action.stdin)}\nstdin`);
  return lines.join('\n');
}
