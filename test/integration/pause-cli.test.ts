import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../harness/service.ts';
import { childEnv } from '../harness/child-env.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    runbooks: {
      'noop.yaml': `name: noop\nmatch: ['alertname = "X"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`,
    },
    inventory: `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
    env: { REMEDIATOR_OPERATOR_TOKEN: 'op' },
  });
});
afterAll(async () => svc?.stop());

function cli(args: string[], token = 'op'): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${ROOT}bin/remediator.js`, ...args, '--url', svc.url], {
      cwd: ROOT,
      env: childEnv({ REMEDIATOR_OPERATOR_TOKEN: token }),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('remediator pause / pauses / unpause', () => {
  it('creates, lists and expires a pause through the API', async () => {
    const created = await cli([
      'pause',
      '--match',
      'service="user-service"',
      '--for',
      '1h',
      '--comment',
      'db migration',
      '--by',
      'alice',
    ]);
    expect(created.code).toBe(0);
    const id = /^paused (\S+) until /.exec(created.out)?.[1];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await cli(['pauses']);
    expect(listed.out).toContain(`${id}  active `);
    expect(listed.out).toContain('service="user-service"  "db migration" by alice');
    expect((await cli(['unpause', id!])).out).toBe(`expired ${id}\n`);
    expect((await cli(['pauses'])).out).toContain(`${id}  expired`);
  });

  it('says what the API refused, and fails without the operator token', async () => {
    const bad = await cli(['pause', '--match', 'service=~"("', '--for', '1h', '--comment', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('the API answered 400: ');
    expect(bad.err).toContain('invalid regex "("');
    const unauthorized = await cli(['pauses'], 'wrong');
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.err).toContain('the API answered 401');
  });
});
