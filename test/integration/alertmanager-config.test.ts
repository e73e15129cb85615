import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDaemon, type Daemon } from '../harness/daemon.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const run = promisify(execFile);
const DIR = new URL('../../alertmanager/', import.meta.url).pathname;
const CONFIG = join(DIR, 'alertmanager.yml');
const AMTOOL = '/usr/bin/amtool'; // Debian's prometheus-alertmanager (0.25)
const TEXT = readFileSync(CONFIG, 'utf8');
const SHIPPED_URL = 'http://127.0.0.1:9787/hooks/alertmanager';

interface WebhookConfig {
  url: string;
  send_resolved?: boolean;
  max_alerts?: number;
  http_config?: { authorization?: { type?: string; credentials_file?: string } };
}
interface Config {
  route: { receiver: string; group_by?: string[]; routes?: Array<{ receiver: string; continue?: boolean }> };
  receivers: Array<{ name: string; webhook_configs?: WebhookConfig[]; email_configs?: unknown[] }>;
}
const config = parse(TEXT) as Config;
const webhook = config.receivers.find((r) => r.name === 'remediator')?.webhook_configs?.[0];

/** Which receivers amtool's own routing code picks for a label set. */
async function receiversFor(...labels: string[]): Promise<string> {
  const { stdout } = await run(AMTOOL, ['config', 'routes', 'test', `--config.file=${CONFIG}`, ...labels]);
  return stdout.trim();
}

describe('alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    // amtool does not read credentials_file (Alertmanager reads it when it sends), so the shipped file
    // is checked as it is, without the uncommitted token next to it.
    const { stdout } = await run(AMTOOL, ['check-config', CONFIG]);
    expect(stdout).toContain('SUCCESS');
    expect(stdout).toContain('2 receivers');
  });

  it('sends to remediator with resolved alerts, all alerts and the bearer token file next to it', () => {
    expect(webhook).toMatchObject({
      url: SHIPPED_URL,
      send_resolved: true,
      max_alerts: 0,
      http_config: { authorization: { type: 'Bearer', credentials_file: 'remediator-token' } },
    });
    expect(config.route.group_by).toEqual(['alertname', 'service']);
    expect(existsSync(join(DIR, 'remediator-token.example'))).toBe(true);
  });

  it('routes fleet alerts to remediator and people, remediator’s own alerts to people only', async () => {
    expect(await receiversFor('alertname=HighMemoryUsage', 'service=user-service')).toBe('remediator,humans');
    expect(await receiversFor('alertname=InstanceDown', 'job=demo')).toBe('remediator,humans');
    expect(await receiversFor('alertname=RemediatorCircuitOpen', 'runbook=x')).toBe('humans');
  });
});

describe('a real Alertmanager with this config', () => {
  let am: Daemon | undefined;
  let svc: TestService | undefined;
  afterAll(async () => {
    await am?.stop();
    await svc?.stop();
  });

  it('delivers an alert to remediator with the token from credentials_file', async () => {
    const token = `t-${process.pid}-${Date.now()}`;
    svc = await startTestService({
      runbooks: {
        'noop.yaml': `name: noop\nmatch: ['alertname = "HighMemoryUsage"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`,
      },
      inventory: `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
      env: { REMEDIATOR_WEBHOOK_TOKEN: token },
    });
    const url = svc.url;
    am = await startDaemon({
      name: 'alertmanager',
      binaries: ['/usr/bin/prometheus-alertmanager'],
      debianPackage: 'prometheus-alertmanager',
      // The shipped config with only the webhook's port changed, and the token file it names.
      files: {
        'alertmanager.yml': TEXT.replace(SHIPPED_URL, `${url}/hooks/alertmanager`),
        'remediator-token': token,
      },
      args: (port, dir) => [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=error',
      ],
    });
    const posted = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { labels: { alertname: 'HighMemoryUsage', service: 'user-service', instance: 't' } },
      ]),
    });
    expect(posted.status).toBe(200);
    const deadline = Date.now() + 15_000;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = await (await svc.get('/metrics')).text();
      if (/remediator_notifications_total\{result="accepted"\} [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(metrics).toMatch(/remediator_notifications_total\{result="accepted"\} [1-9]/);
    expect(metrics).not.toMatch(/remediator_notifications_total\{result="unauthorized"\}/);
  }, 40_000);
});
