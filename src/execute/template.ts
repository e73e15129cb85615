import Handlebars from 'handlebars';
import { RemediatorError } from '../errors.ts';
import type { Alert, Labels, Template, TemplateContext } from '../types.ts';

/**
 * Templates are compiled once, when runbooks load. Alert data only ever flows in as the context,
 * never as template source. `noEscape`: commands are not HTML; quoting happens where each value is used.
 */
const hb = Handlebars.create();
/** Block helpers a runbook may use; Handlebars' others (each, with, log, lookup) are refused at load. */
const HELPERS = new Set(['if', 'unless']);
const COMPILE_OPTIONS = {
  strict: true,
  noEscape: true,
  knownHelpersOnly: true,
  knownHelpers: { if: true, unless: true },
};
const ROOTS = new Set(['labels', 'annotations', 'params', 'target', 'alert', 'runbook']);
const ALERT_FIELDS = new Set(['status', 'fingerprint', 'startsAt', 'generatorURL']);

export interface TemplateScope {
  /** Declared parameter names; `{{params.x}}` must name one of them. */
  readonly params: ReadonlySet<string>;
  /**
   * The template feeds something that runs (argv, stdin, an HTTP path, header or body, a verify probe
   * or query). Alert data reaches those only through a param, checked against its pattern first, so
   * here only trusted names may appear: see TRUSTED_IN_ACTIONS. @defaultValue false
   */
  readonly action?: boolean;
}

/**
 * What an action template may name besides `params.X`: the target (an inventory name: a run whose
 * target is not in the inventory fails before any step is rendered), the runbook's name, and the two
 * alert fields the webhook checks itself (status is firing|resolved, the fingerprint 1-64 letters and
 * digits, see ingest/payload-schema.ts).
 */
const TRUSTED_IN_ACTIONS = new Set(['target', 'runbook.name', 'alert.status', 'alert.fingerprint']);

/** Compiles a template, checking syntax and every name it uses; throws E_TEMPLATE saying what is wrong. */
export function compileTemplate(source: string, scope: TemplateScope): Template {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (err) {
    const lines = err instanceof Error ? err.message.split('\n') : [String(err)];
    // Handlebars: "Parse error on line N:", the source, a caret line, then what it expected.
    const detail = lines.length > 1 ? `${lines[0]} ${lines.at(-1)}` : (lines[0] ?? '');
    throw new RemediatorError('E_TEMPLATE', `template ${JSON.stringify(source)}: ${detail}`);
  }
  let paths: hbs.AST.PathExpression[];
  try {
    paths = pathsIn(ast);
  } catch (err) {
    throw new RemediatorError('E_TEMPLATE', `template ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
  for (const path of paths) checkPath(source, path, scope);
  const render = hb.compile(source, COMPILE_OPTIONS);
  return (context: TemplateContext) => {
    try {
      return render(context);
    } catch (err) {
      throw new RemediatorError('E_TEMPLATE', explainRenderError(source, err));
    }
  };
}

function checkPath(source: string, path: hbs.AST.PathExpression, scope: TemplateScope): void {
  const fail = (why: string): never => {
    throw new RemediatorError('E_TEMPLATE', `template ${JSON.stringify(source)}: ${why}`);
  };
  if (path.data) fail(`"${path.original}" is not available here`);
  if (path.depth > 0) fail(`"${path.original}": use labels.X, params.X, ... directly`);
  const [root, field, ...more] = path.parts;
  if (root === undefined || !ROOTS.has(root)) {
    fail(
      `unknown name "${path.original}" (use labels.X, annotations.X, params.X, target, alert.X or runbook.name)`,
    );
  }
  if (root === 'params' && field !== undefined && !scope.params.has(field)) {
    fail(`parameter "${field}" is not declared under params`);
  }
  if (root === 'alert' && field !== undefined && !ALERT_FIELDS.has(field)) {
    fail(
      `"alert.${field}" is unknown (use alert.status, alert.fingerprint, alert.startsAt, alert.generatorURL)`,
    );
  }
  if (root === 'target' && field !== undefined) fail('"target" is a string and has no fields');
  if (root === 'runbook' && field !== 'name') fail('use "runbook.name"');
  if (root !== 'target' && field === undefined)
    fail(`"${root}" is a map: name one of its fields, e.g. ${root}.X`);
  if (field !== undefined && field in Object.prototype)
    fail(`"${path.original}" names a built-in property, not a label`);
  if (more.length > 0) fail(`"${path.original}" goes too deep: label values are strings`);
  if (scope.action && root !== 'params' && !TRUSTED_IN_ACTIONS.has(path.parts.join('.'))) {
    fail(
      `"${path.original}" is alert data and cannot reach a command, request or check directly; ` +
        `declare a param with a pattern (params: { NAME: { from: '{{${path.original}}}', pattern: ... } }) ` +
        'and use {{params.NAME}}',
    );
  }
}

/** Every path expression a template uses, in mustaches, block helpers and their parameters. */
function pathsIn(node: unknown, out: hbs.AST.PathExpression[] = []): hbs.AST.PathExpression[] {
  if (node === null || typeof node !== 'object') return out;
  const n = node as { type?: string; original?: unknown } & Record<string, unknown>;
  if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement' || n.type === 'DecoratorBlock') {
    throw new RemediatorError('E_TEMPLATE', 'partials and decorators are not supported in runbook templates');
  }
  if (n.type === 'PathExpression') {
    out.push(n as unknown as hbs.AST.PathExpression);
    return out;
  }
  const isCall = n.type === 'MustacheStatement' || n.type === 'BlockStatement' || n.type === 'SubExpression';
  const hasArgs = (Array.isArray(n['params']) && (n['params'] as unknown[]).length > 0) || Boolean(n['hash']);
  const isHelperCall = isCall && (hasArgs || n.type === 'BlockStatement');
  if (isHelperCall) {
    const name = (n['path'] as { original?: unknown } | undefined)?.original;
    if (typeof name !== 'string' || !HELPERS.has(name)) {
      throw new RemediatorError(
        'E_TEMPLATE',
        `helper "${String(name)}" is not available (use #if or #unless)`,
      );
    }
  }
  for (const [key, value] of Object.entries(n)) {
    if (key === 'loc') continue;
    // A helper's own name (`if`) is a path too, but not a data reference.
    if (key === 'path' && isHelperCall) continue;
    if (Array.isArray(value)) value.forEach((v) => pathsIn(v, out));
    else if (typeof value === 'object') pathsIn(value, out);
  }
  return out;
}

/**
 * The text a template writes as it stands, outside its `{{...}}` (inside `#if` blocks too), for checks
 * at load of what the runbook's author wrote; a template that does not parse has none.
 */
export function literalText(source: string): string {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch {
    return '';
  }
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const n = node as { type?: string; value?: unknown } & Record<string, unknown>;
    if (n.type === 'ContentStatement' && typeof n.value === 'string') parts.push(n.value);
    for (const [key, value] of Object.entries(n)) {
      if (key !== 'loc' && typeof value === 'object') [value].flat().forEach(walk);
    }
  };
  walk(ast);
  return parts.join('');
}

function explainRenderError(source: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const missing = /^"([^"]+)" not defined/.exec(message);
  if (missing) {
    return `template ${JSON.stringify(source)}: "${missing[1]}" is not set on this alert`;
  }
  return `template ${JSON.stringify(source)}: ${message.split('\n')[0] ?? message}`;
}

/** The data a runbook's templates see for one alert. */
export function templateContext(
  alert: Alert,
  runbook: string,
  target: string,
  params: Labels = {},
): TemplateContext {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    params,
    target,
    alert: {
      status: alert.status,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      generatorURL: alert.generatorURL,
    },
    runbook: { name: runbook },
  };
}
