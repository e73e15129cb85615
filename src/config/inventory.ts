import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { HttpTarget, Inventory, SshTarget, Target } from '../types.ts';
import { loadSchema, schemaProblems, type Path } from './schema-check.ts';
import { parseYaml, type YamlSource } from './yaml-source.ts';

const validate = loadSchema('inventory.schema.json');

interface RawSsh {
  host?: string;
  port?: number;
  user?: string;
  key?: string;
  hostKey?: string | string[];
  knownHosts?: string;
}
interface RawHttp {
  baseUrl?: string;
  headers?: Record<string, string>;
}
interface RawSection {
  ssh?: RawSsh;
  http?: RawHttp;
  /** A target exec steps act on from the remediator host; it needs no section. */
  local?: true;
}
interface RawInventory {
  defaults?: RawSection;
  targets: Record<string, RawSection | null>;
}

export interface InventoryDeps {
  /** Environment for `${env:NAME}` references. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function loadInventory(file: string, deps: InventoryDeps): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError([`${file}: cannot read the inventory file (set REMEDIATOR_INVENTORY)`]);
  }
  return parseInventory(file, text, deps);
}

/** Parses an inventory; every problem names file:line and the target. */
export function parseInventory(file: string, text: string, deps: InventoryDeps): Inventory {
  const parsed = parseYaml(file, text);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  const source = parsed.source;
  const describe = (path: Path) => {
    const [top, name, ...rest] = path;
    if (top === 'targets' && typeof name === 'string') return { item: `target "${name}"`, rest };
    return { item: 'inventory', rest: path };
  };
  const schemaErrors = schemaProblems(source, validate, describe);
  if (schemaErrors.length > 0) throw new ConfigError(schemaErrors);
  const raw = source.value as RawInventory;
  const problems: string[] = [];
  const targets = new Map<string, Target>();
  for (const [name, section] of Object.entries(raw.targets)) {
    const target = buildTarget(name, section ?? {}, raw.defaults ?? {}, { source, deps, problems });
    targets.set(name, Object.freeze(target));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return targets;
}

interface BuildContext {
  source: YamlSource;
  deps: InventoryDeps;
  problems: string[];
}

function buildTarget(name: string, own: RawSection, defaults: RawSection, ctx: BuildContext): Target {
  const report = (path: Path, problem: string) =>
    ctx.problems.push(
      `${ctx.source.file}:${ctx.source.lineOf(['targets', name, ...path])}: target "${name}": ${problem}`,
    );
  const target: { name: string; local?: boolean; ssh?: SshTarget; http?: HttpTarget } = { name };
  if (own.local) target.local = true;
  if (own.ssh) target.ssh = buildSsh({ ...defaults.ssh, ...own.ssh }, ctx.source.file, report);
  if (own.http) {
    const headers = { ...defaults.http?.headers, ...own.http.headers };
    target.http = buildHttp({ ...defaults.http, ...own.http, headers }, ctx, report);
  }
  if (!own.ssh && !own.http && !own.local) {
    report([], 'needs an ssh or http section (or both), or local: true for a target only exec steps act on');
  }
  return target;
}

function buildSsh(ssh: RawSsh, file: string, report: (p: Path, m: string) => void): SshTarget | undefined {
  const missing = (['host', 'user', 'key'] as const).filter((k) => ssh[k] === undefined);
  if (missing.length > 0) {
    report(['ssh'], `ssh: missing ${missing.map((k) => `"${k}"`).join(', ')} (here or under defaults.ssh)`);
    return undefined;
  }
  if (ssh.hostKey === undefined && ssh.knownHosts === undefined) {
    report(['ssh'], 'ssh: needs "hostKey" or "knownHosts": host keys are always verified');
    return undefined;
  }
  const base = dirname(resolve(file));
  return {
    host: ssh.host!,
    port: ssh.port ?? 22,
    user: ssh.user!,
    keyFile: resolve(base, ssh.key!),
    hostKeys: ssh.hostKey === undefined ? [] : [ssh.hostKey].flat(),
    ...(ssh.knownHosts === undefined ? {} : { knownHostsFile: resolve(base, ssh.knownHosts) }),
  };
}

function buildHttp(
  http: RawHttp,
  ctx: BuildContext,
  report: (p: Path, m: string) => void,
): HttpTarget | undefined {
  if (http.baseUrl === undefined) {
    report(['http'], 'http: missing "baseUrl" (here or under defaults.http)');
    return undefined;
  }
  try {
    const url = new URL(http.baseUrl);
    if (url.search || url.hash) throw new Error('no query or fragment');
  } catch {
    report(
      ['http', 'baseUrl'],
      `http.baseUrl: ${JSON.stringify(http.baseUrl)} is not a usable base URL (e.g. http://10.0.0.11:8081)`,
    );
    return undefined;
  }
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(http.headers ?? {})) {
    try {
      const base = dirname(resolve(ctx.source.file));
      headers[key.toLowerCase()] = resolveSecrets(value, ctx.deps, base, secrets);
    } catch (err) {
      report(['http', 'headers', key], `http.headers.${key}: ${(err as Error).message}`);
    }
  }
  return { baseUrl: http.baseUrl.replace(/\/+$/, ''), headers, ...(secrets.length > 0 ? { secrets } : {}) };
}

/**
 * Replaces `${file:PATH}` (trailing newline trimmed) and `${env:NAME}` in a value; each value they
 * resolve to is pushed onto `found`, so it can be redacted from whatever a target sends back.
 */
export function resolveSecrets(
  value: string,
  deps: InventoryDeps,
  baseDir: string,
  found: string[] = [],
): string {
  return value.replace(/\$\{(file|env):([^}]+)\}/g, (_, kind: string, ref: string) => {
    const secret = kind === 'env' ? envSecret(deps, ref) : fileSecret(baseDir, ref);
    found.push(secret);
    return secret;
  });
}

function envSecret(deps: InventoryDeps, name: string): string {
  const v = deps.env[name];
  if (v === undefined) throw new Error(`environment variable ${name} is not set`);
  return v;
}

function fileSecret(baseDir: string, ref: string): string {
  try {
    return readFileSync(resolve(baseDir, ref), 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new Error(`cannot read secret file ${ref}`);
  }
}
