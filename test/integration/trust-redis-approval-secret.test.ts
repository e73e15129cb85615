import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * The attacker can read Redis (a replica, a backup, a local user on its host). Earlier versions kept
 * the approval-link secret there, so reading Redis was enough to mint approve links. Now the secret
 * lives in the data directory (or a setting), and whatever Redis held is ignored and deleted.
 */
const RISKY = `name: risky
match: ['alertname = "Risky"']
target: t
approval: { always: true, expiresAfter: 5m }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
steps:
  - name: restart
    http: { method: POST, path: '/restart' }
`;
const LEGACY_SECRET = randomBytes(32).toString('base64');

let redis: TestRedis;
let fleet: RoutedHttp;
let hooks: RoutedHttp;
let dataDir: string;
const services: TestService[] = [];

async function start(dir: string): Promise<TestService> {
  const svc = await startTestService({
    runbooks: { 'risky.yaml': RISKY },
    inventory: `targets:\n  t: { http: { baseUrl: "${fleet.baseUrl}" } }\n`,
    env: { REMEDIATOR_APPROVAL_WEBHOOKS: `${hooks.baseUrl}/approval`, REMEDIATOR_DATA_DIR: dir },
    redis,
  });
  services.push(svc);
  return svc;
}

beforeAll(async () => {
  [redis, fleet, hooks] = await Promise.all([startTestRedis(), startRoutedHttp(), startRoutedHttp()]);
  hooks.route('POST', '/approval', { status: 200 });
  fleet.route('POST', '/restart', { status: 200 });
  dataDir = await mkdtemp(join(tmpdir(), 'remediator-secret-'));
  // What an earlier version left behind, and an attacker may have read.
  const client = new Redis(redis.url);
  await client.set('remediator:approvals:secret', LEGACY_SECRET);
  client.disconnect();
}, 30_000);

afterAll(async () => {
  for (const svc of services) await svc.stop().catch(() => undefined);
  await Promise.all([redis?.stop(), fleet?.stop(), hooks?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

async function awaitingApproval(svc: TestService): Promise<{ id: string; approveUrl: string }> {
  const fingerprint = randomBytes(8).toString('hex');
  const startsAt = new Date().toISOString();
  const body = payload([{ labels: { alertname: 'Risky' }, fingerprint, startsAt }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const id = runId('risky', fingerprint, startsAt);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const message = hooks.requests
      .filter((r) => r.url === '/approval')
      .map((r) => JSON.parse(r.body) as Record<string, unknown>)
      .find((m) => m['runId'] === id);
    if (message) return { id, approveUrl: String(message['approveUrl']) };
    if (Date.now() > deadline) throw new Error(`no approval request for ${id}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every value of every key, as text: what someone who can read Redis sees. */
async function everything(url: string): Promise<{ keys: string[]; text: string }> {
  const client = new Redis(url);
  try {
    const keys = await client.keys('*');
    const parts: string[] = [];
    for (const key of keys) {
      const type = await client.type(key);
      if (type === 'string') parts.push((await client.getBuffer(key))?.toString('latin1') ?? '');
      if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
      if (type === 'list') parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
      if (type === 'set') parts.push(JSON.stringify(await client.smembers(key)));
      if (type === 'zset') parts.push(JSON.stringify(await client.zrange(key, '0', '-1')));
      if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
    }
    return { keys, text: parts.join('\n') };
  } finally {
    client.disconnect();
  }
}

describe('the approval-link secret is not in Redis', () => {
  it('lives in a 0600 file in the data directory, and no Redis key holds it', async () => {
    const svc = await start(dataDir);
    await awaitingApproval(svc);
    const file = join(dataDir, 'approval-secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const secret = (await readFile(file, 'utf8')).trim();
    expect(secret.length).toBeGreaterThanOrEqual(40);
    const { keys, text } = await everything(redis.url);
    expect(keys).not.toContain('remediator:approvals:secret');
    expect(keys.length).toBeGreaterThan(3); // the scan did see the run, its job and the queue
    for (const form of [secret, Buffer.from(secret).toString('base64'), LEGACY_SECRET]) {
      expect(text).not.toContain(form);
    }
  });

  it('refuses a link minted with the secret an earlier version kept in Redis', async () => {
    const svc = services[0]!;
    const { approveUrl } = await awaitingApproval(svc);
    // The genuine claims, signed again with the secret an attacker read from Redis.
    const claims = approveUrl.slice(approveUrl.lastIndexOf('/') + 1).split('.')[0]!;
    const mac = createHmac('sha256', Buffer.from(LEGACY_SECRET, 'base64')).update(claims).digest();
    const forged = `${claims}.${mac.toString('base64url')}`;
    const res = await fetch(`${svc.url}/approvals/${forged}`);
    expect(res.status).toBe(403);
  });

  it('verifies links across a restart of the service', async () => {
    const first = services[0]!;
    const { id, approveUrl } = await awaitingApproval(first);
    const token = approveUrl.slice(approveUrl.lastIndexOf('/') + 1);
    await first.stop();
    services.shift();
    const second = await start(dataDir);
    const page = await fetch(`${second.url}/approvals/${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Approve this remediation?');
    const answered = await fetch(`${second.url}/approvals/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'by=bob',
    });
    expect(answered.status).toBe(200);
    await until(
      async () =>
        ((await (await second.get(`/api/v1/runs/${id}`)).json()) as RunRecord).status === 'succeeded',
    );
  });

  it('warns when another process on the same Redis signs with a different secret', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'remediator-secret-other-'));
    try {
      const other = await start(otherDir);
      expect(other.logs()).toContain('signs approval links with a different secret');
      expect(other.logs()).toContain('"code":"E_APPROVAL_SECRET"');
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
