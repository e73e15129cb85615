import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, RemediatorError } from '../errors.ts';
import { parseMatcher } from '../match/matcher.ts';
import { compileAnchoredRegex } from '../match/regex.ts';
import { compileTemplate, type TemplateScope } from '../execute/template.ts';
import type { ParamSpec, Runbook, StepSpec } from '../types.ts';
import { loadSchema, schemaProblems, type Path } from './schema-check.ts';
import { compileApproval, type RawApproval } from './approval.ts';
import { compilePolicy, type RawPolicy } from './policy.ts';
import { compileStep, FieldError, formatPath, type RawStep } from './steps.ts';
import { NO_LOCAL_STEPS, type LocalStepSettings } from './local-settings.ts';
import { parseYaml, type YamlSource } from './yaml-source.ts';

const validate = loadSchema('runbook.schema.json');

interface RawRunbook {
  name: string;
  description?: string;
  match: string[];
  on?: 'firing' | 'resolved';
  target: string;
  params?: Record<string, { from: string; pattern: string; allowLeadingDash?: boolean }>;
  steps: RawStep[];
  policy?: RawPolicy;
  dryRun?: boolean;
  adaptive?: boolean;
  pageHold?: boolean;
  approval?: RawApproval;
}

/**
 * Loads every runbook under the given files or directories; throws one ConfigError listing all problems.
 * `local` says which programs and playbooks exec and ansible steps may name. @defaultValue none
 */
export async function loadRunbooks(
  paths: readonly string[],
  local: LocalStepSettings = NO_LOCAL_STEPS,
): Promise<Runbook[]> {
  const files = (await Promise.all(paths.map(listYamlFiles))).flat();
  const problems: string[] = [];
  const runbooks: Runbook[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const result = parseRunbook(file, await readFile(file, 'utf8'), local);
    problems.push(...result.problems);
    if (!result.runbook) continue;
    const first = seen.get(result.runbook.name);
    if (first !== undefined) {
      problems.push(`${file}:1: runbook "${result.runbook.name}": name already used by ${first}`);
      continue;
    }
    seen.set(result.runbook.name, file);
    runbooks.push(result.runbook);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return runbooks;
}

async function listYamlFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ConfigError([`${path}: no such file or directory`]);
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort();
  return names.map((n) => join(path, n));
}

/** Parses and compiles one runbook file; every problem names file:line and the item. */
export function parseRunbook(
  file: string,
  text: string,
  local: LocalStepSettings = NO_LOCAL_STEPS,
): { runbook?: Runbook; problems: string[] } {
  const parsed = parseYaml(file, text);
  if (!parsed.ok) return { problems: parsed.problems };
  const source = parsed.source;
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    return { problems: [`${file}:1: runbook: must be a YAML mapping with name, match, target and steps`] };
  }
  const raw = source.value as RawRunbook;
  const label = typeof raw.name === 'string' ? `runbook "${raw.name}"` : 'runbook';
  const problems = schemaProblems(source, validate, (path) => describe(raw, label, path));
  if (problems.length > 0) return { problems };
  return compile(source, raw, label, local);
}

function describe(raw: RawRunbook, label: string, path: Path): { item: string; rest: Path } {
  const [top, index, ...rest] = path;
  if (top === 'steps' && typeof index === 'number') {
    const name = raw.steps?.[index]?.name;
    return { item: typeof name === 'string' ? `step "${name}"` : `step ${index + 1}`, rest };
  }
  if (top === 'params' && typeof index === 'string') return { item: `param "${index}"`, rest };
  if (top === 'match' && typeof index === 'number') return { item: `match[${index}]`, rest };
  return { item: label, rest: path };
}

function compile(
  source: YamlSource,
  raw: RawRunbook,
  label: string,
  local: LocalStepSettings,
): { runbook?: Runbook; problems: string[] } {
  const problems: string[] = [];
  const at = <T>(path: Path, item: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof RemediatorError)) throw err;
      const sub = err instanceof FieldError ? err.path : [];
      const where = sub.length > 0 ? `${item}: ${formatPath(sub)}` : item;
      problems.push(`${source.file}:${source.lineOf([...path, ...sub])}: ${where}: ${err.message}`);
      return undefined;
    }
  };
  const scope: TemplateScope = { params: new Set(Object.keys(raw.params ?? {})) };
  const match = raw.match.map((text, i) => at(['match', i], `match[${i}]`, () => parseMatcher(text)));
  const target = at(['target'], `${label}: target`, () => compileTemplate(raw.target, scope));
  const params = Object.entries(raw.params ?? {}).map(([name, p]): ParamSpec | undefined => {
    const item = `param "${name}"`;
    const from = at(['params', name, 'from'], item, () => compileTemplate(p.from, { params: new Set() }));
    const pattern = at(['params', name, 'pattern'], item, () => compileAnchoredRegex(p.pattern));
    return from && pattern
      ? { name, from, pattern, allowLeadingDash: p.allowLeadingDash ?? false }
      : undefined;
  });
  const names = new Set<string>();
  const steps = raw.steps.map((step, i): StepSpec | undefined => {
    const item = `step "${step.name}"`;
    if (names.has(step.name)) {
      problems.push(`${source.file}:${source.lineOf(['steps', i, 'name'])}: ${item}: step name used twice`);
    }
    names.add(step.name);
    return at(['steps', i], item, () => compileStep(step, scope, local));
  });
  const policy = at(['policy', 'group'], `${label}: policy.group`, () => compilePolicy(raw.policy));
  const approval = raw.approval
    ? at(['approval'], `${label}: approval`, () => compileApproval(raw.approval!))
    : undefined;
  if (problems.length > 0 || !target || !policy || (raw.approval && !approval)) return { problems };
  const runbook: Runbook = {
    name: raw.name,
    description: raw.description ?? '',
    file: source.file,
    match: match as Runbook['match'],
    on: raw.on ?? 'firing',
    target,
    params: params as ParamSpec[],
    steps: steps as StepSpec[],
    policy,
    dryRun: raw.dryRun ?? false,
    adaptive: raw.adaptive ?? false,
    ...(raw.pageHold === undefined ? {} : { pageHold: raw.pageHold }),
    ...(approval ? { approval } : {}),
  };
  return { runbook: deepFreeze(runbook), problems };
}

/** Freezes plain data only: compiled regexes and templates keep their own internal state. */
function deepFreeze<T>(value: T): T {
  const plain = Array.isArray(value) || (value && Object.getPrototypeOf(value) === Object.prototype);
  if (plain && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
