import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { YamlSource } from './yaml-source.ts';

export type Path = (string | number)[];

/** Splits a value's path into the item people know it by and the rest, e.g. `step "restart"` + ssh.timeout. */
export type DescribeItem = (path: Path) => { item: string; rest: Path };

/** Loads one of the JSON Schemas shipped in `schema/` (the same files editors use). */
export function loadSchema(name: string): ValidateFunction {
  const url = new URL(`../../schema/${name}`, import.meta.url);
  const schema = JSON.parse(readFileSync(url, 'utf8')) as object;
  // strict: false lets the schemas carry `x-hint`, our human wording for pattern and oneOf failures.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  return ajv.compile(schema);
}

/** Runs a schema over a YAML source and words every failure as `file:line: item: problem`. */
export function schemaProblems(
  source: YamlSource,
  validate: ValidateFunction,
  describe: DescribeItem,
): string[] {
  if (validate(source.value)) return [];
  // Failures inside oneOf/anyOf branches and the per-name failures under propertyNames are summed up by
  // their parent error, which words them better.
  const errors = (validate.errors ?? []).filter(
    (e) =>
      !e.schemaPath.includes('/oneOf/') && !e.schemaPath.includes('/anyOf/') && e.propertyName === undefined,
  );
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const error of errors) {
    const path = pointerToPath(error.instancePath);
    const { line, problem } = explain(source, path, error);
    const { item, rest } = describe(path);
    const where = rest.length > 0 ? `${item}: ${rest.join('.')}` : item;
    const text = `${source.file}:${line}: ${where}: ${problem}`;
    if (!seen.has(text)) {
      seen.add(text);
      problems.push(text);
    }
  }
  return problems;
}

function explain(source: YamlSource, path: Path, e: ErrorObject): { line: number; problem: string } {
  const hint = (e.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint'];
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const guess = closest(key, known);
      const suggestion = guess ? ` (did you mean "${guess}"?)` : ` (known keys: ${known.join(', ')})`;
      return { line: source.lineOfKey(path, key), problem: `unknown key "${key}"${suggestion}` };
    }
    case 'required':
      return {
        line: source.lineOf(path),
        problem: `missing required key "${String(params['missingProperty'])}"`,
      };
    case 'propertyNames':
      return {
        line: source.lineOfKey(path, String(params['propertyName'])),
        problem: `invalid name "${String(params['propertyName'])}": ${hint ?? 'use letters, digits and _'}`,
      };
    case 'pattern':
      return {
        line: source.lineOf(path),
        problem: `must be ${hint ?? `like ${String(params['pattern'])}`}${got(e.data)}`,
      };
    case 'oneOf':
    case 'anyOf':
      return {
        line: source.lineOf(path),
        problem: `${hint ?? 'must match exactly one of the allowed forms'}${got(e.data)}`,
      };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => String(v)).join(', ');
      return { line: source.lineOf(path), problem: `must be one of: ${allowed}${got(e.data)}` };
    }
    default:
      return { line: source.lineOf(path), problem: `${e.message ?? 'is invalid'}${got(e.data)}` };
  }
}

function got(data: unknown): string {
  if (data === undefined || (typeof data === 'object' && data !== null)) return '';
  return ` (got ${JSON.stringify(data)})`;
}

function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** The known key nearest to a misspelt one, if it is near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
