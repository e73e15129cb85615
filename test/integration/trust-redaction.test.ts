import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { payload } from '../harness/payloads.ts';
import { dumpRedis, dumpRedisFiles } from '../harness/redis-dump.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * A real HTTP target that repeats the request's headers in its answer, as debugging endpoints and
 * some proxies do. The inventory sends it secrets (`${file:}` and `${env:}`); they must not come back
 * out of remediator: not in step output or errors, run records, the API, Redis (keys, RDB, AOF) or logs.
 */
const random = () => Math.random().toString(36).slice(2);
const FILE_SECRET = `file-${random()}-secret`;
const ENV_SECRET = `env-${random()}-secret`;
const OPERATOR_TOKEN = `operator-${random()}-token`;
let server: Server;
let baseUrl: string;
let svc: TestService;
let secretDir: string;

const RUNBOOK = `
name: echo
match: ['alertname = "Echo"']
target: api
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
params:
  status: { from: '{{labels.status}}', pattern: '[0-9]{3}' }
steps:
  - name: call
    http: { method: POST, path: '/{{params.status}}', expect: 200, timeout: 2s }
`;

beforeAll(async () => {
  // Answers with the status named by the path, and the request's headers as the body.
  server = createServer((req, res) => {
    const status = Number(req.url?.slice(1)) || 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  secretDir = await mkdtemp(join(tmpdir(), 'remediator-secret-'));
  const secretFile = join(secretDir, 'token');
  await writeFile(secretFile, `${FILE_SECRET}\n`);
  svc = await startTestService({
    runbooks: { 'echo.yaml': RUNBOOK },
    inventory: `
targets:
  api:
    http:
      baseUrl: "${baseUrl}"
      headers: { authorization: "Bearer \${file:${secretFile}}", x-api-key: "\${env:ECHO_API_KEY}" }
`,
    env: { ECHO_API_KEY: ENV_SECRET, REMEDIATOR_OPERATOR_TOKEN: OPERATOR_TOKEN },
  });
});

afterAll(async () => {
  await svc?.stop();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (secretDir) await rm(secretDir, { recursive: true, force: true });
});

async function echo(status: number) {
  const body = payload([{ labels: { alertname: 'Echo', status: String(status) } }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const alert = body.alerts[0]!;
  return svc.waitForRun(runId('echo', alert.fingerprint, alert.startsAt));
}

describe('secrets a target echoes back', () => {
  it('are redacted from the output of a step that succeeds', async () => {
    const run = await echo(200);
    expect(run.status).toBe('succeeded');
    const output = run.steps[0]!.output ?? '';
    // The target did get and echo the headers: only their secret parts are replaced.
    expect(JSON.parse(output)).toMatchObject({
      authorization: 'Bearer [REDACTED]',
      'x-api-key': '[REDACTED]',
    });
  });

  it('are redacted from the output and error of a step that fails', async () => {
    const run = await echo(500);
    expect(run).toMatchObject({ status: 'failed', reason: 'E_STATUS' });
    expect(run.steps[0]!.output).toContain('Bearer [REDACTED]');
    expect(JSON.stringify(run)).not.toContain(FILE_SECRET);
  });

  it('appear nowhere: Redis keys, its RDB and AOF files, the runs API, the logs', async () => {
    const stored = await dumpRedis(svc.redis.url);
    expect(stored).toContain('Bearer [REDACTED]'); // the scan did read the step outputs
    const files = await dumpRedisFiles(svc.redis.dataDir);
    expect(files).toContain('Bearer [REDACTED]');
    const api = await (
      await svc.get('/api/v1/runs?runbook=echo', { authorization: `Bearer ${OPERATOR_TOKEN}` })
    ).text();
    expect(api).toContain('echo');
    for (const text of [stored, files, api, svc.logs()]) {
      for (const secret of [FILE_SECRET, ENV_SECRET, OPERATOR_TOKEN]) expect(text).not.toContain(secret);
    }
  });
});
