import { RemediatorError } from '../errors.ts';
import type {
  Alert,
  JsonTemplate,
  Labels,
  ParamSpec,
  RenderedAction,
  Runbook,
  StepSpec,
  Template,
  TemplateContext,
} from '../types.ts';
import { checkArgument } from './shell-quote.ts';
import { renderAnsible, renderExec } from './render-local.ts';
import { renderStdin } from './render-stdin.ts';
import { templateContext } from './template.ts';

/** Renders a runbook's target name for an alert (throws E_TEMPLATE when a label is missing). */
export function renderTarget(runbook: Runbook, alert: Alert): string {
  const target = runbook.target(templateContext(alert, runbook.name, '')).trim();
  if (target === '') throw new RemediatorError('E_TEMPLATE', 'target rendered to an empty string');
  return target;
}

/**
 * Renders every step of a run before any of them runs: each parameter is checked against its pattern
 * first, so a hostile label value stops the run before anything touches the target. Undo actions are
 * rendered too (and dropped: they render again when they run), so a value only an undo uses is refused
 * before the first step rather than after it.
 */
export function renderSteps(runbook: Runbook, alert: Alert, target: string): RenderedAction[] {
  const context = runContext(runbook, alert, target);
  const actions = runbook.steps.map((step) => renderAction(step, context));
  for (const step of runbook.steps) {
    if (step.undo) renderAction({ ...step, name: `${step.name}.undo`, action: step.undo.action }, context);
  }
  return actions;
}

/** The full template context of a run, parameters included (checked against their patterns). */
export function runContext(runbook: Runbook, alert: Alert, target: string): TemplateContext {
  return templateContext(alert, runbook.name, target, renderParams(runbook, alert, target));
}

function renderParams(runbook: Runbook, alert: Alert, target: string): Labels {
  const base = templateContext(alert, runbook.name, target);
  const params: Record<string, string> = {};
  for (const spec of runbook.params) params[spec.name] = checkedParam(spec, spec.from(base));
  return params;
}

/** The door alert data passes to reach anything that runs: the pattern, then no leading `-`. */
function checkedParam(spec: ParamSpec, value: string): string {
  if (!spec.pattern.test(value)) {
    throw new RemediatorError(
      'E_PARAM',
      `param "${spec.name}": value ${JSON.stringify(value)} does not match the pattern ${JSON.stringify(spec.pattern.source)}`,
    );
  }
  // A command reads `-rf` or `--output=/x` as an option wherever it stands in argv, and no runbook
  // can count on a `--` that every command understands; so a value may not start with one.
  if (value.startsWith('-') && !spec.allowLeadingDash) {
    throw new RemediatorError(
      'E_PARAM',
      `param "${spec.name}": value ${JSON.stringify(value)} starts with "-" and could be read as an option; ` +
        'set allowLeadingDash: true on the param if the command takes it after "--"',
    );
  }
  return value;
}

export function renderAction(step: StepSpec, context: TemplateContext): RenderedAction {
  const action = step.action;
  if (action.kind === 'exec') return renderExec(action, context, step.name);
  if (action.kind === 'ansible') return renderAnsible(action, context, step.name);
  if (action.kind === 'ssh') {
    const stdin = action.stdin === undefined ? undefined : renderStdin(action.stdin, context, step.name);
    return {
      kind: 'ssh',
      argv: action.command.map((arg, i) => checkedArgument(step.name, arg(context), i)),
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
    // fetch() throws on a character above U+00FF when the step runs (after earlier steps acted) and
    // sends U+0080-U+00FF as raw bytes: refused here, before the first step, like other encodings.
    const odd = /[^\t\x20-\x7e]/.exec(value);
    if (odd !== null) {
      const code = `U+${odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      throw new RemediatorError(
        'E_UNSAFE_ARG',
        `step "${step.name}": header ${name} would contain ${code}; a header value carries printable ASCII, space and TAB only`,
      );
    }
    headers[name] = value;
  }
  return {
    kind: 'http',
    method: action.method,
    path: renderPath(action.path, context, `step "${step.name}"`),
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

/**
 * Renders a URL path (an http step's, a verify probe's). Values are percent-encoded, so a label cannot
 * add path segments or a query, and the result may hold no `.` or `..` segment, however written.
 */
export function renderPath(template: Template, context: TemplateContext, what: string): string {
  return checkedPath(what, template(urlEncoded(context, what)));
}

function urlEncoded(context: TemplateContext, what: string): TemplateContext {
  // Labels and annotations cannot appear in a path (a load error), so an odd one is only made
  // encodable; a param or the target that a path may use is refused instead.
  const encode = (values: Labels, root?: string): Labels =>
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, encodedValue(v, what, root && `${root}.${k}`)]),
    );
  return {
    ...context,
    labels: encode(context.labels),
    annotations: encode(context.annotations),
    params: encode(context.params, 'params'),
    target: encodedValue(context.target, what, 'target'),
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * encodeURIComponent, but a lone UTF-16 surrogate (JSON's `"\ud800"`, which no UTF-8 can carry) is
 * not a URIError: every value of the context is encoded, so one odd label that nothing uses failed
 * the run as E_INTERNAL. In a value a path may use (`name`) it is refused as E_UNSAFE_ARG; elsewhere
 * it becomes U+FFFD.
 */
function encodedValue(value: string, what: string, name?: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // URIError: a lone surrogate.
  }
  if (name === undefined) return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'));
  throw new RemediatorError(
    'E_UNSAFE_ARG',
    `${what}: ${name} holds a lone UTF-16 surrogate, which no URL can carry`,
  );
}

/** Refuses, before anything runs, an argument that no quoting carries to every login shell. */
function checkedArgument(step: string, arg: string, index: number): string {
  try {
    checkArgument(arg, index);
  } catch (err) {
    if (!(err instanceof RemediatorError)) throw err;
    throw new RemediatorError(err.code, `step "${step}": ${err.message}`);
  }
  return arg;
}

/** A rendered path must not climb out of where it points: no `.` or `..` segments, however written. */
function checkedPath(what: string, path: string): string {
  const segments = path.split('/').map((s) => s.replace(/%2e/gi, '.'));
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new RemediatorError(
      'E_UNSAFE_ARG',
      `${what}: path ${JSON.stringify(path)} holds a "." or ".." segment`,
    );
  }
  return path;
}
