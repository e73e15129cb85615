import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { fixture, payload } from '../harness/payloads.ts';
import { childEnv } from '../harness/child-env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE_01 = 'test/fixtures/alertmanager-0.25/01-firing-group-of-3.json';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI from the repository root, with no REMEDIATOR_ variables but those given. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/remediator.js', ...args],
      {
        cwd: ROOT,
        env: childEnv({ HOME: tmp, ...env }),
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number | string }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

const lines = (text: string) => text.replace(/\n$/, '').split('\n');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cli-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('remediator validate', () => {
  it('accepts the example runbooks and inventory', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'runbooks']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(stdout)).toEqual([
      'ok: 4 runbook(s)',
      '  drain-erroring-instance (runbooks/drain-erroring-instance.yaml): 2 step(s), on firing',
      '  resize-connection-pool (runbooks/resize-connection-pool.yaml): 1 step(s), on firing',
      '  restart-cpu-burner (runbooks/restart-cpu-burner.yaml): 1 step(s), on firing',
      '  restart-leaking-service (runbooks/restart-leaking-service.yaml): 2 step(s), on firing',
      `ok: inventory ${join(ROOT, 'inventory.yaml')}: 7 target(s)`,
    ]);
  });

  it('accepts the real-fleet examples of examples/runbooks', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'examples/runbooks']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(stdout).slice(0, 3)).toEqual([
      'ok: 2 runbook(s)',
      '  drain-at-load-balancer (examples/runbooks/drain-at-load-balancer.yaml): 1 step(s), on firing',
      '  restart-systemd-service (examples/runbooks/restart-systemd-service.yaml): 2 step(s), on firing',
    ]);
  });

  it('prints every file:line problem of the broken runbooks and exits 1', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'test/fixtures/runbooks-broken']);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    const dir = 'test/fixtures/runbooks-broken';
    const re2 =
      'use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) and put a backslash before a literal ( ) [ { . * + ? |';
    const known = '(use labels.X, annotations.X, params.X, target, alert.X or runbook.name)';
    expect(lines(stderr)).toEqual([
      `${dir}/bad-duration.yaml:9: step "restart": ssh.timeout: must be a duration like 500ms, 30s, 5m or 1h30m (got "30 s")`,
      `${dir}/bad-matcher.yaml:5: match[1]: matcher "service =~ \\"user-(service\\"": invalid regex "user-(service": missing closing ); ${re2}`,
      `${dir}/duplicate-name-2.yaml:1: runbook "same-name": name already used by ${dir}/duplicate-name-1.yaml`,
      `${dir}/duplicate-yaml-keys.yaml:1: invalid YAML: Map keys must be unique`,
      `${dir}/empty.yaml:1: runbook: must be a YAML mapping with name, match, target and steps`,
      `${dir}/invalid-yaml.yaml:1: invalid YAML: Nested mappings are not allowed in compact mappings`,
      `${dir}/missing-target.yaml:2: runbook "missing-target": missing required key "target"`,
      `${dir}/not-a-mapping.yaml:1: runbook: must be a YAML mapping with name, match, target and steps`,
      `${dir}/several-problems.yaml:5: match[1]: matcher "service ~ \\"user-service\\"": unknown operator "~"; use one of (=, !=, =~, !~)`,
      `${dir}/several-problems.yaml:6: runbook "several-problems": target: template "{{instance}}": unknown name "instance" ${known}`,
      `${dir}/several-problems.yaml:8: param "service": invalid regex "[a-z": missing closing ]; ${re2}`,
      `${dir}/several-problems.yaml:12: step "restart": ssh.command[2]: template "{{params.svc}}": parameter "svc" is not declared under params`,
      `${dir}/several-problems.yaml:13: step "restart": step name used twice`,
      `${dir}/several-problems.yaml:14: step "restart": http.path: template "/admin/{{alert.endsAt}}": "alert.endsAt" is unknown (use alert.status, alert.fingerprint, alert.startsAt, alert.generatorURL)`,
      `${dir}/undeclared-param.yaml:11: step "restart": ssh.command[2]: template "{{params.service}}": parameter "service" is not declared under params`,
      `${dir}/unknown-key-typo.yaml:9: step "restart": ssh: unknown key "tiemout" (did you mean "timeout"?)`,
    ]);
  });

  it('reports runbook and inventory problems together', async () => {
    const inventory = join(tmp, 'broken-inventory.yaml');
    await writeFile(inventory, 'targets:\n  box:\n    ssh: { host: h, user: u, key: k }\n');
    const { code, stdout, stderr } = await cli([
      'validate',
      'test/fixtures/runbooks-broken/missing-target.yaml',
      '--inventory',
      inventory,
    ]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(lines(stderr)).toEqual([
      'test/fixtures/runbooks-broken/missing-target.yaml:2: runbook "missing-target": missing required key "target"',
      `${inventory}:3: target "box": ssh: needs "hostKey" or "knownHosts": host keys are always verified`,
    ]);
  });

  it('refuses an unknown REMEDIATOR_ variable', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'runbooks'], { REMEDIATOR_PROT: '8080' });
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'environment: REMEDIATOR_PROT: unknown setting\n',
    });
  });
});

describe('remediator test (dry run)', () => {
  it('prints the matches and the rendered ssh command of each alert', async () => {
    const { code, stdout, stderr } = await cli(['test', FIXTURE_01]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const file = join(ROOT, 'runbooks/restart-leaking-service.yaml');
    const alert = (n: number, fingerprint: string) => [
      `alert {alertname="HighMemoryUsage", instance="app-${n}:8081", job="demo", service="user-service", severity="critical"} firing (fingerprint ${fingerprint}, startsAt 2026-11-21T07:18:09.123Z)`,
      `  runbook restart-leaking-service (${file}) run ${runId('restart-leaking-service', fingerprint, '2026-11-21T07:18:09.123Z')}`,
      `    target app-${n}:8081 via ssh remediator@127.0.0.1:2222, http http://127.0.0.1:808${n}`,
      '    1. release-memory: http POST /admin/release-memory expect 200 (timeout 10000 ms)',
      `    2. restart: ssh demo-restart user-service app-${n}:8081 (timeout 10000 ms)`,
    ];
    expect(lines(stdout)).toEqual([
      ...alert(1, '0f17f6a7c893adf7'),
      ...alert(2, '394e29846224ca86'),
      ...alert(3, '7ddb9bd7145aa809'),
      '(policy decisions not shown: set REDIS_URL to see them against live state, or pass --fresh)',
    ]);
  });

  it('says whether each firing alert’s page would be held, when page holds are on', async () => {
    const env = {
      REMEDIATOR_PAGE_HOLD: 'true',
      REMEDIATOR_ALERTMANAGER_URL: 'http://am-1:9093,http://am-2:9093',
    };
    const { code, stdout } = await cli(['test', FIXTURE_01], env);
    expect(code).toBe(0);
    expect(lines(stdout).filter((l) => l.includes('page:'))).toEqual(
      Array(3).fill(
        '    page: held while the run heals: a silence on its 5 labels (exact values), lapsing 120s after the last renewal; released at once if the run fails',
      ),
    );
    const off = await cli(['test', FIXTURE_01], { REMEDIATOR_PAGE_HOLD: 'true' });
    expect(off.stderr).toBe(
      'environment: REMEDIATOR_PAGE_HOLD needs REMEDIATOR_ALERTMANAGER_URL (the API the hold is made through)\n',
    );
  });

  it('prints JSON naming runbook, run id, target and steps with --json', async () => {
    const { code, stdout } = await cli(['test', FIXTURE_01, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      truncatedAlerts: number;
      alerts: Array<{ alert: { fingerprint: string }; matches: Array<Record<string, unknown>> }>;
    };
    expect(report.truncatedAlerts).toBe(0);
    expect(report.alerts.map((a) => a.alert.fingerprint)).toEqual([
      '0f17f6a7c893adf7',
      '394e29846224ca86',
      '7ddb9bd7145aa809',
    ]);
    expect(report.alerts[0]!.matches).toEqual([
      {
        runbook: 'restart-leaking-service',
        file: join(ROOT, 'runbooks/restart-leaking-service.yaml'),
        runId: runId('restart-leaking-service', '0f17f6a7c893adf7', '2026-11-21T07:18:09.123Z'),
        target: 'app-1:8081',
        reach: 'ssh remediator@127.0.0.1:2222, http http://127.0.0.1:8081',
        steps: [
          {
            name: 'release-memory',
            action: {
              kind: 'http',
              method: 'POST',
              path: '/admin/release-memory',
              headers: {},
              expect: [200],
              timeoutMs: 10_000,
            },
          },
          {
            name: 'restart',
            action: {
              kind: 'ssh',
              argv: ['demo-restart', 'user-service', 'app-1:8081'],
              timeoutMs: 10_000,
            },
          },
        ],
      },
    ]);
  });

  it('shows http steps, stdin, and why a run would fail', async () => {
    const file = join(tmp, 'mixed.json');
    const at = '2026-11-21T07:18:09.123Z';
    await writeFile(
      file,
      JSON.stringify(
        payload([
          { labels: { alertname: 'ConnectionPoolExhausted', instance: 'app-1:8081' }, fingerprint: 'a1' },
          {
            labels: { alertname: 'HighErrorRate', service: 'user-service', instance: 'app-2:8081' },
            fingerprint: 'a2',
          },
          {
            labels: { alertname: 'HighErrorRate', service: 'user-service', instance: 'x;y' },
            fingerprint: 'a3',
          },
          {
            labels: { alertname: 'HighMemoryUsage', service: 'order-service', instance: 'db-9:5432' },
            fingerprint: 'a4',
          },
          { labels: { alertname: 'Unrelated' }, fingerprint: 'a5' },
        ]),
      ),
    );
    const { code, stdout } = await cli(['test', file]);
    expect(code).toBe(0);
    const rb = (name: string) => join(ROOT, 'runbooks', name);
    expect(lines(stdout)).toEqual([
      `alert {alertname="ConnectionPoolExhausted", instance="app-1:8081"} firing (fingerprint a1, startsAt ${at})`,
      `  runbook resize-connection-pool (${rb('resize-connection-pool.yaml')}) run ${runId('resize-connection-pool', 'a1', at)}`,
      '    target app-1:8081 via ssh remediator@127.0.0.1:2222, http http://127.0.0.1:8081',
      '    1. grow-pool: http POST /admin/pool {"maxConnections":50,"reason":"remediator: ConnectionPoolExhausted on app-1:8081"} expect 200 (timeout 5000 ms)',
      `alert {alertname="HighErrorRate", service="user-service", instance="app-2:8081"} firing (fingerprint a2, startsAt ${at})`,
      `  runbook drain-erroring-instance (${rb('drain-erroring-instance.yaml')}) run ${runId('drain-erroring-instance', 'a2', at)}`,
      '    target app-2:8081 via ssh remediator@127.0.0.1:2222, http http://127.0.0.1:8082',
      '    1. drain: ssh haproxy-cmd <<< "set server user-service/app-2:8081 state drain\\n" (timeout 10000 ms)',
      '    2. restart: ssh demo-restart user-service app-2:8081 (timeout 10000 ms)',
      `alert {alertname="HighErrorRate", service="user-service", instance="x;y"} firing (fingerprint a3, startsAt ${at})`,
      `  runbook drain-erroring-instance (${rb('drain-erroring-instance.yaml')}) run ${runId('drain-erroring-instance', 'a3', at)}`,
      '    target x;y',
      '    would fail: E_UNKNOWN_TARGET: target "x;y" is not in the inventory',
      `alert {alertname="HighMemoryUsage", service="order-service", instance="db-9:5432"} firing (fingerprint a4, startsAt ${at})`,
      `  runbook restart-leaking-service (${rb('restart-leaking-service.yaml')}) run ${runId('restart-leaking-service', 'a4', at)}`,
      '    target db-9:5432',
      '    would fail: E_UNKNOWN_TARGET: target "db-9:5432" is not in the inventory',
      `alert {alertname="Unrelated"} firing (fingerprint a5, startsAt ${at})`,
      '  no runbook matches',
      '(policy decisions not shown: set REDIS_URL to see them against live state, or pass --fresh)',
    ]);
  });

  it('shows a label refused by its param pattern (examples/runbooks, whose target is the load balancer)', async () => {
    const file = join(tmp, 'param.json');
    const at = '2026-11-21T07:18:09.123Z';
    const labels = { alertname: 'HighErrorRate', service: 'user-service', instance: 'x;y' };
    await writeFile(file, JSON.stringify(payload([{ labels, fingerprint: 'b1' }])));
    const inventory = join(tmp, 'lb-inventory.yaml');
    await writeFile(
      inventory,
      `targets:\n  lb-1:\n    ssh: { host: 10.0.0.2, user: u, key: k, hostKey: 'ssh-ed25519 AAAA' }\n`,
    );
    const env = { REMEDIATOR_RUNBOOKS_DIR: 'examples/runbooks', REMEDIATOR_INVENTORY: inventory };
    const { code, stdout } = await cli(['test', file], env);
    expect(code).toBe(0);
    const rb = join(ROOT, 'examples/runbooks/drain-at-load-balancer.yaml');
    expect(lines(stdout)).toEqual([
      `alert {alertname="HighErrorRate", service="user-service", instance="x;y"} firing (fingerprint b1, startsAt ${at})`,
      `  runbook drain-at-load-balancer (${rb}) run ${runId('drain-at-load-balancer', 'b1', at)}`,
      '    target lb-1 via ssh u@10.0.0.2:22',
      '    would fail: E_PARAM: param "server": value "x;y" does not match the pattern "[A-Za-z0-9][A-Za-z0-9.-]{0,62}:[0-9]{1,5}"',
      '(policy decisions not shown: set REDIS_URL to see them against live state, or pass --fresh)',
    ]);
  });

  it('warns about alerts Alertmanager truncated', async () => {
    const { code, stdout } = await cli([
      'test',
      'test/fixtures/alertmanager-0.25/03-truncated-max-alerts-2.json',
    ]);
    expect(code).toBe(0);
    expect(lines(stdout)[0]).toBe('warning: 1 alert(s) truncated by Alertmanager (max_alerts)');
  });

  it('exits 1 naming the field of a malformed payload', async () => {
    const body = fixture('01-firing-group-of-3');
    body.alerts[1]!['fingerprint'] = 'not a fingerprint';
    delete body.alerts[2]!['startsAt'];
    const file = join(tmp, 'malformed.json');
    await writeFile(file, JSON.stringify(body));
    const { code, stdout, stderr } = await cli(['test', file]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(lines(stderr)).toEqual([
      `${file}: /alerts/1/fingerprint must match pattern "^[0-9A-Za-z]{1,64}$"`,
      `${file}: /alerts/2 must have required property 'startsAt'`,
    ]);
  });

  it('exits 1 on a file that is not JSON, and 2 without a file', async () => {
    const file = join(tmp, 'not-json.json');
    await writeFile(file, '{"version": ');
    const notJson = await cli(['test', file]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(
      new RegExp(`^${file.replace(/[.]/g, '\\.')}: not a readable JSON file \\(`),
    );
    expect(await cli(['test'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'usage: remediator test <payload.json> [--json]\n',
    });
  });
});

describe('remediator', () => {
  it('exits 2 on an unknown command, with the usage', async () => {
    const { code, stdout, stderr } = await cli(['frobnicate']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(lines(stderr)[0]).toBe('remediator: unknown command "frobnicate"');
    expect(stderr).toContain('usage: remediator <command> [options]');
  });

  it('exits 2 with the usage on stdout without a command, 0 with help', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/^usage: remediator <command> \[options\]/);
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(none.stdout);
  });
});

describe('remediator test --fresh', () => {
  it('shows every gate decision against a clean state', async () => {
    const { code, stdout } = await cli(['test', FIXTURE_01, '--fresh']);
    expect(code).toBe(0);
    expect(lines(stdout).slice(5, 13)).toEqual([
      '    policy (fresh state):',
      '      resolved: allow (firing)',
      '      pause: allow (no pause matches)',
      '      storm: allow (0 of 100 arrivals in 1m)',
      '      breaker: allow (circuit closed)',
      '      cooldown: allow (no cooldown)',
      '      admission: allow (places free (inflight:global, inflight:runbook:restart-leaking-service, group:user-service, target:app-1:8081))',
      '      rate_limit: allow (rate:target:restart-leaking-service:app-1:8081 0/10 per 1h, rate:runbook:restart-leaking-service 0/10 per 1h, rate:global 0/60 per 1h)',
    ]);
  });
});

describe('remediator test: approval', () => {
  it('shows that a run would wait for a human, and why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remediator-approval-cli-'));
    await mkdir(join(dir, 'runbooks'));
    await writeFile(
      join(dir, 'runbooks', 'risky.yaml'),
      `name: risky\nmatch: ['alertname = "HighMemoryUsage"']\ntarget: t\napproval: { labels: ['severity = "critical"'] }\nsteps:\n  - name: s\n    http: { path: /x }\n`,
    );
    await writeFile(
      join(dir, 'inventory.yaml'),
      `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
    );
    const { code, stdout, stderr } = await cli(['test', FIXTURE_01, '--fresh'], {
      REMEDIATOR_RUNBOOKS_DIR: join(dir, 'runbooks'),
      REMEDIATOR_INVENTORY: join(dir, 'inventory.yaml'),
    });
    await rm(dir, { recursive: true, force: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('      approval: wait (would wait for a human: labels severity="critical")\n');
  });
});
