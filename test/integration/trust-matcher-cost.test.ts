import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.ts';
import { ConfigError } from '../../src/errors.ts';
import { startService } from '../../src/main.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * What one notification may cost the matcher. Before: a runbook matcher with nested counted
 * repetitions took ~150 ms per 100 KB label, and 60 such alerts kept the webhook busy 7 s with
 * /healthz unanswered. Now such a matcher does not load, and no regex looks at a label over 16 KiB.
 */
const NESTED = `name: nested
match: ['alertname = "Long"', 'service =~ "((a{1,10}){1,10}){1,10}"']
target: app
steps:
  - name: s
    http: { path: /x }
`;
const INVENTORY = 'targets:\n  app: { http: { baseUrl: "http://127.0.0.1:9" } }\n';

describe('a matcher too costly to run does not load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'matcher-cost-'));
    await mkdir(join(dir, 'runbooks'));
    await writeFile(join(dir, 'runbooks', 'nested.yaml'), NESTED);
    await writeFile(join(dir, 'inventory.yaml'), INVENTORY);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the service refuses to start, naming file:line', async () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:9',
      REMEDIATOR_PORT: '0',
      REMEDIATOR_RUNBOOKS_DIR: join(dir, 'runbooks'),
      REMEDIATOR_INVENTORY: join(dir, 'inventory.yaml'),
    };
    const err = await startService(readSettings(env, dir), 'serve', env).then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      `${join(dir, 'runbooks', 'nested.yaml')}:2: match[1]: matcher "service =~ \\"((a{1,10}){1,10}){1,10}\\"": ` +
        'regex "((a{1,10}){1,10}){1,10}" compiles to 2221 instructions, more than 1000: matching it would cost ' +
        'too much per alert; avoid nesting counted repetitions such as (x{1,10}){1,10} and lower large counts',
    ]);
  });
});

describe('60 alerts with 100 KB labels', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      runbooks: {
        'long.yaml': `name: long\nmatch: ['alertname = "Long"', 'service =~ "a+"']\ntarget: app\nsteps:\n  - name: s\n    http: { path: /x }\n`,
      },
      inventory: INVENTORY,
    });
  });
  afterAll(() => svc?.stop());

  it('are answered, match no regex, are counted and logged; /healthz answers meanwhile', async () => {
    const long = 'a'.repeat(100_000);
    const body = payload(
      Array.from({ length: 60 }, () => ({ labels: { alertname: 'Long', service: long } })),
    );
    const [hook, health] = await Promise.all([svc.post('/hooks/alertmanager', body), svc.get('/healthz')]);
    expect(hook.status).toBe(202);
    expect(await hook.json()).toMatchObject({ alerts: 60, matched: 0 });
    expect(health.status).toBe(200);
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toMatch(/^remediator_alerts_overlong_labels_total 60$/m);
    expect(svc.logs()).toContain('alert has label values too long for regex matching');
  });
});
