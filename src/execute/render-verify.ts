import type { Labels, TemplateContext, VerifyTemplate } from '../types.ts';
import { escapePromqlString } from '../verify/promql-string.ts';
import type { VerifySpec } from '../verify/types.ts';
import { renderPath } from './render-run.ts';

/**
 * Renders a step's verify block for a run. A probe's path gets an http step's protections (values
 * percent-encoded, no dot segments; verify/http-probe.ts keeps it under the base URL); a query's values
 * are escaped as PromQL string literals, inside which the loader made sure they stand.
 * @throws RemediatorError E_TEMPLATE, E_UNSAFE_ARG
 */
export function renderVerify(v: VerifyTemplate, context: TemplateContext, step: string): VerifySpec {
  switch (v.kind) {
    case 'alertResolved':
      return v;
    case 'promql':
      return {
        kind: 'promql',
        query: v.query(promqlEscaped(context)),
        expect: v.expect,
        withinMs: v.withinMs,
      };
    case 'http':
      return {
        kind: 'http',
        path: renderPath(v.path, context, `step "${step}": verify`),
        expect: v.expect,
        withinMs: v.withinMs,
      };
  }
}

function promqlEscaped(context: TemplateContext): TemplateContext {
  const escape = (labels: Labels): Labels =>
    Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, escapePromqlString(v)]));
  return {
    ...context,
    labels: escape(context.labels),
    annotations: escape(context.annotations),
    params: escape(context.params),
    target: escapePromqlString(context.target),
  };
}
