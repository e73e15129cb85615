import { RemediatorError } from '../errors.ts';
import type {
  Alert,
  JsonTemplate,
  Labels,
  RenderedAction,
  Runbook,
  StepSpec,
  TemplateContext,
} from '../types.ts';
import { templateContext } from './template.ts';

/** Renders a runbook's target name for an alert (throws E_TEMPLATE when a label is missing). */
export function renderTarget(runbook: Runbook, alert: Alert): string {
  const target = runbook.target(templateContext(alert, runbook.name, '')).trim();
  if (target === '') throw new RemediatorError('E_TEMPLATE', 'target rendered to an empty string');
  return target;
}

/**
 * Renders every step of a run before any of them runs: each parameter is checked against its pattern
 * first, so a hostile label value stops the run before anything touches the target.
 */
export function renderSteps(runbook: Runbook, alert: Alert, target: string): RenderedAction[] {
  const params = renderParams(runbook, alert, target);
  const context = templateContext(alert, runbook.name, target, params);
  return runbook.steps.map((step) => renderAction(step, context));
}

function renderParams(runbook: Runbook, alert: Alert, target: string): Labels {
  const base = templateContext(alert, runbook.name, target);
  const params: Record<string, string> = {};
  for (const spec of runbook.params) {
    const value = spec.from(base);
    if (spec.pattern && !spec.pattern.test(value)) {
      throw new RemediatorError(
        'E_PARAM',
        `param "${spec.name}": value ${JSON.stringify(value)} does not match the pattern ${JSON.stringify(spec.pattern.source)}`,
      );
    }
    params[spec.name] = value;
  }
  return params;
}

export function renderAction(step: StepSpec, context: TemplateContext): RenderedAction {
  const action = step.action;
  if (action.kind === 'ssh') {
    const stdin = action.stdin === undefined ? undefined : action.stdin(lineSafe(context, step.name));
    return {
      kind: 'ssh',
      argv: action.command.map((arg) => arg(context)),
      ...(stdin === undefined ? {} : { stdin }),
      timeoutMs: action.timeoutMs,
    };
  }
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(action.headers)) {
    const value = template(context);
    if (/[\r\n\0]/.test(value)) {
      throw new RemediatorError(
        'E_UNSAFE_ARG',
        `step "${step.name}": header ${name} would contain a line break`,
      );
    }
    headers[name] = value;
  }
  return {
    kind: 'http',
    method: action.method,
    path: action.path(urlEncoded(context)),
    headers,
    ...(action.body === undefined ? {} : { body: renderJson(action.body, context) }),
    expect: action.expect,
    timeoutMs: action.timeoutMs,
  };
}

function renderJson(node: JsonTemplate, context: TemplateContext): unknown {
  switch (node.t) {
    case 'str':
      return node.v(context);
    case 'lit':
      return node.v;
    case 'arr':
      return node.v.map((n) => renderJson(n, context));
    case 'obj':
      return Object.fromEntries(Object.entries(node.v).map(([k, n]) => [k, renderJson(n, context)]));
  }
}

/** Values in a URL path are percent-encoded, so a label cannot add segments, a query or `..`. */
function urlEncoded(context: TemplateContext): TemplateContext {
  const encode = (labels: Labels): Labels =>
    Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, encodeURIComponent(v)]));
  return {
    ...context,
    labels: encode(context.labels),
    annotations: encode(context.annotations),
    params: encode(context.params),
    target: encodeURIComponent(context.target),
  };
}

/**
 * stdin often feeds line-based protocols (HAProxy's runtime API): a line break inside a value would
 * smuggle in a second command, so values holding one are refused for stdin.
 */
function lineSafe(context: TemplateContext, step: string): TemplateContext {
  const check = (kind: string, labels: Labels) => {
    for (const [k, v] of Object.entries(labels)) {
      if (/[\r\n]/.test(v)) {
        throw new RemediatorError(
          'E_UNSAFE_ARG',
          `step "${step}": ${kind} "${k}" holds a line break; refused for stdin`,
        );
      }
    }
  };
  check('label', context.labels);
  check('param', context.params);
  check('target', { target: context.target });
  return context;
}
