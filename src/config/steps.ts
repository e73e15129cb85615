import { RemediatorError } from '../errors.ts';
import { PORTABLE_RULE, unportableChar } from '../execute/shell-quote.ts';
import { compileTemplate, literalText, type TemplateScope } from '../execute/template.ts';
import type { HttpStepSpec, JsonTemplate, StepAction, StepSpec, Template, VerifyTemplate } from '../types.ts';
import { parseDuration } from './duration.ts';
import type { Path } from './schema-check.ts';
import { compileApproval, type RawApproval } from './approval.ts';
import { FieldError } from './field-error.ts';
import { unquotedPlaceholders } from '../verify/promql-string.ts';
import { NO_LOCAL_STEPS, type LocalStepSettings } from './local-settings.ts';
import { compileAnsible, compileExec, type RawAnsible, type RawExec } from './local-steps.ts';

export { FieldError, formatPath } from './field-error.ts';

export const DEFAULT_SSH_TIMEOUT_MS = 30_000;
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

export const DEFAULT_VERIFY_WITHIN_MS = 60_000;

interface RawVerify {
  alertResolved?: string;
  promql?: string;
  expect?: 'empty' | 'true';
  http?: { path: string; expect?: number | number[] };
  within?: string;
}

export interface RawStep {
  name: string;
  idempotent?: boolean;
  verify?: RawVerify;
  undo?: Pick<RawStep, 'ssh' | 'http' | 'exec' | 'ansible'> & { when?: 'failure' | 'always' };
  approval?: RawApproval;
  ssh?: { command: string[]; stdin?: string; timeout?: string };
  http?: {
    method?: HttpStepSpec['method'];
    path: string;
    headers?: Record<string, string>;
    body?: unknown;
    expect?: number | number[];
    timeout?: string;
  };
  exec?: RawExec;
  ansible?: RawAnsible;
}

/** Compiles a schema-valid step: its action, verify block and undo. */
export function compileStep(
  step: RawStep,
  scope: TemplateScope,
  local: LocalStepSettings = NO_LOCAL_STEPS,
): StepSpec {
  const field = templateField(scope);
  const undo = step.undo;
  return {
    name: step.name,
    action: compileStepAction(step, scope, local),
    idempotent: step.idempotent ?? false,
    ...(step.verify ? { verify: compileVerify(step.verify, field) } : {}),
    ...(undo
      ? {
          undo: {
            action: prefixed(['undo'], () => compileStepAction(undo, scope, local)),
            when: undo.when ?? 'failure',
          },
        }
      : {}),
    ...(step.approval ? { approval: prefixed(['approval'], () => compileApproval(step.approval!)) } : {}),
  };
}

/** Every template of a step feeds what runs, so alert data reaches it only through params. */
function templateField(scope: TemplateScope) {
  const actionScope: TemplateScope = { ...scope, action: true };
  return (path: Path, source: string): Template => {
    try {
      return compileTemplate(source, actionScope);
    } catch (err) {
      throw err instanceof RemediatorError ? new FieldError(path, err) : err;
    }
  };
}

function prefixed<T>(prefix: Path, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof FieldError ? new FieldError([...prefix, ...err.path], err) : err;
  }
}

function compileVerify(v: RawVerify, field: (p: Path, s: string) => Template): VerifyTemplate {
  const withinMs = durationOr(v.within, DEFAULT_VERIFY_WITHIN_MS);
  if (v.alertResolved !== undefined)
    return { kind: 'alertResolved', withinMs: durationOr(v.alertResolved, withinMs) };
  if (v.promql !== undefined) {
    const query = field(['verify', 'promql'], v.promql);
    const outside = unquotedPlaceholders(v.promql);
    if (outside.length > 0) {
      const problem = new RemediatorError(
        'E_TEMPLATE',
        `template ${JSON.stringify(v.promql)}: ${outside.join(', ')} stands outside a "..." or '...' string, ` +
          'where no escaping can hold a value in place; write it inside one, e.g. up{service="{{params.service}}"}',
      );
      throw new FieldError(['verify', 'promql'], problem);
    }
    return {
      kind: 'promql',
      query,
      expect: v.expect ?? 'empty',
      withinMs,
    };
  }
  const http = v.http!;
  return {
    kind: 'http',
    path: field(['verify', 'http', 'path'], http.path),
    expect: http.expect === undefined ? [] : [http.expect].flat(),
    withinMs,
  };
}

/** Compiles a schema-valid step's action (its ssh, http, exec or ansible block). */
export function compileStepAction(
  step: Pick<RawStep, 'ssh' | 'http' | 'exec' | 'ansible'>,
  scope: TemplateScope,
  local: LocalStepSettings = NO_LOCAL_STEPS,
): StepAction {
  const field = templateField(scope);
  if (step.exec) return compileExec(step.exec, field, local);
  if (step.ansible) return compileAnsible(step.ansible, field, local);
  if (step.ssh) {
    const ssh = step.ssh;
    return {
      kind: 'ssh',
      command: ssh.command.map((arg, i) => {
        checkPortable(['ssh', 'command', i], arg);
        return field(['ssh', 'command', i], arg);
      }),
      ...(ssh.stdin === undefined ? {} : { stdin: field(['ssh', 'stdin'], ssh.stdin) }),
      timeoutMs: durationOr(ssh.timeout, DEFAULT_SSH_TIMEOUT_MS),
    };
  }
  const http = step.http!;
  const headers: Record<string, Template> = {};
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    headers[name.toLowerCase()] = field(['http', 'headers', name], value);
  }
  return {
    kind: 'http',
    method: http.method ?? 'POST',
    path: field(['http', 'path'], http.path),
    headers,
    ...(http.body === undefined ? {} : { body: compileJson(http.body, ['http', 'body'], field) }),
    expect: http.expect === undefined ? [] : [http.expect].flat(),
    timeoutMs: durationOr(http.timeout, DEFAULT_HTTP_TIMEOUT_MS),
  };
}

/**
 * The runbook's own text in a command goes through the same quoting as alert data, so what no quoting
 * carries to every login shell (src/execute/shell-quote.ts) is refused here, at load, with its line.
 */
function checkPortable(path: Path, source: string): void {
  const bad = unportableChar(literalText(source));
  if (bad === undefined) return;
  const why = `${JSON.stringify(source)} contains ${bad.description}; ${PORTABLE_RULE}`;
  throw new FieldError(path, new RemediatorError('E_CONFIG', why));
}

function durationOr(text: string | undefined, fallback: number): number {
  // The schema has already checked the syntax.
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}

function compileJson(value: unknown, path: Path, field: (p: Path, s: string) => Template): JsonTemplate {
  if (typeof value === 'string') return { t: 'str', v: field(path, value) };
  if (Array.isArray(value)) return { t: 'arr', v: value.map((v, i) => compileJson(v, [...path, i], field)) };
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonTemplate> = {};
    for (const [k, v] of Object.entries(value)) out[k] = compileJson(v, [...path, k], field);
    return { t: 'obj', v: out };
  }
  return { t: 'lit', v: value as number | boolean | null };
}
