import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../harness/service.ts';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: object }> };
  responses?: Record<string, unknown>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Every route the app serves (method, OpenAPI path), and what its operation must document. */
const ROUTES: Array<[string, string, { body?: boolean; query?: string[]; path?: string[]; auth?: boolean }]> =
  [
    ['post', '/hooks/alertmanager', { body: true, auth: true }],
    ['get', '/api/v1/runs', { query: ['runbook', 'target', 'status', 'limit', 'offset'], auth: true }],
    ['get', '/api/v1/runs/{id}', { path: ['id'], auth: true }],
    ['get', '/api/v1/events', { query: ['limit'], auth: true }],
    ['post', '/api/v1/pauses', { body: true, auth: true }],
    ['post', '/api/v1/runs/{id}/approve', { body: true, path: ['id'], auth: true }],
    ['post', '/api/v1/runs/{id}/deny', { body: true, path: ['id'], auth: true }],
    ['get', '/api/v1/pauses', { auth: true }],
    ['delete', '/api/v1/pauses/{id}', { path: ['id'], auth: true }],
    ['get', '/healthz', {}],
    ['get', '/readyz', {}],
    ['get', '/metrics', {}],
  ];

let svc: TestService;
let doc: OpenApiDoc;

beforeAll(async () => {
  svc = await startTestService({
    runbooks: {
      'noop.yaml': `name: noop\nmatch: ['alertname = "X"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`,
    },
    inventory: `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
    env: { REMEDIATOR_OPERATOR_TOKEN: 'op' },
  });
  // The docs are open: no token sent.
  const res = await svc.get('/docs/json', {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as OpenApiDoc;
});
afterAll(async () => svc?.stop());

describe('OpenAPI document at /docs/json', () => {
  it('is OpenAPI 3 with the package name, version and a bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'remediator', version: pkg.version });
    expect(doc.components?.securitySchemes?.['bearer']).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('lists exactly the routes the app serves, each with a summary and responses', () => {
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]?.[method];
      expect(op?.summary, `${method} ${path}`).toMatch(/\w/);
      expect(op?.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      expect(Object.keys(op?.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
    }
  });

  it('documents bodies, query strings, path parameters and which routes need the token', () => {
    for (const [method, path, want] of ROUTES) {
      const op = doc.paths[path]?.[method] ?? {};
      const where = `${method} ${path}`;
      const params = op.parameters ?? [];
      if (want.body) expect(op.requestBody?.content['application/json']?.schema, where).toBeTruthy();
      else expect(op.requestBody, where).toBeUndefined();
      expect(
        params.filter((p) => p.in === 'query').map((p) => p.name),
        where,
      ).toEqual(want.query ?? []);
      const pathParams = params.filter((p) => p.in === 'path');
      expect(
        pathParams.map((p) => p.name),
        where,
      ).toEqual(want.path ?? []);
      for (const p of pathParams) expect(p.required, where).toBe(true);
      expect(op.security ?? [], where).toEqual(want.auth ? [{ bearer: [] }] : []);
    }
    const webhookBody = doc.paths['/hooks/alertmanager']?.['post']?.requestBody?.content['application/json'];
    expect(webhookBody?.schema).toMatchObject({ required: ['version', 'status', 'alerts'] });
  });

  it('has no dangling $ref', () => {
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      const target = ref!
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });
});

describe('Swagger UI at /docs', () => {
  it('answers HTML, from files in the package (no external scripts)', async () => {
    const res = await svc.get('/docs', {});
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
    const script = html.match(/src="\.?\/?([^"]*swagger-ui-bundle\.js)"/)?.[1];
    expect(script).toBeTruthy();
    const bundle = await svc.get(`/docs/${script!.replace(/^docs\//, '')}`, {});
    expect(bundle.status).toBe(200);
    // Read it all: an unread body keeps the connection busy and delays the service's stop.
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });

  it('leaves the operator API behind its token', async () => {
    expect((await svc.get('/api/v1/runs', {})).status).toBe(401);
  });
});
