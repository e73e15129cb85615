import { RemediatorError } from '../errors.ts';
import type { AnsibleStepSpec, ExecStepSpec, RenderedAction, TemplateContext } from '../types.ts';
import { renderStdin } from './render-stdin.ts';

type Rendered<K> = Extract<RenderedAction, { kind: K }>;

/**
 * An exec step's argv, env and stdin. No shell reads them, so quotes, `$(...)`, `;` and line breaks in
 * a value stay data in the one argv element it fills; only NUL, which no C string can carry (the
 * program would see a cut value), is refused.
 */
export function renderExec(action: ExecStepSpec, context: TemplateContext, step: string): Rendered<'exec'> {
  const argv = action.command.map((arg, i) => withoutNul(arg(context), step, `argument ${i}`));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(action.env)) {
    env[name] = withoutNul(value(context), step, `env ${name}`);
  }
  const stdin = action.stdin === undefined ? undefined : renderStdin(action.stdin, context, step);
  return {
    kind: 'exec',
    argv,
    env,
    ...(action.cwd === undefined ? {} : { cwd: action.cwd }),
    ...(stdin === undefined ? {} : { stdin }),
    timeoutMs: action.timeoutMs,
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An ansible step's extra vars, as strings; a value no YAML can carry is refused before anything runs. */
export function renderAnsible(
  action: AnsibleStepSpec,
  context: TemplateContext,
  step: string,
): Rendered<'ansible'> {
  const extraVars: Record<string, string> = {};
  for (const [name, value] of Object.entries(action.extraVars)) {
    const text = withoutNul(value(context), step, `extra var ${name}`);
    if (LONE_SURROGATE.test(text)) {
      throw new RemediatorError(
        'E_UNSAFE_ARG',
        `step "${step}": extra var ${name} holds a lone UTF-16 surrogate`,
      );
    }
    extraVars[name] = text;
  }
  return {
    kind: 'ansible',
    playbook: action.playbook,
    extraVars,
    tags: action.tags,
    check: false,
    timeoutMs: action.timeoutMs,
  };
}

function withoutNul(value: string, step: string, what: string): string {
  if (value.includes('\0')) {
    throw new RemediatorError('E_UNSAFE_ARG', `step "${step}": ${what} would contain NUL (U+0000)`);
  }
  return value;
}
