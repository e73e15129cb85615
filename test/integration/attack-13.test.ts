import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { CREATE_RUNS } from '../../src/record/runs-store.ts';
import { createAuthStores } from '../../src/stores/auth-stores.ts';
import { cacheLogins } from '../../src/stores/login-throttle-cache.ts';
import { payload } from '../harness/payloads.ts';
import { startCutProxy, type Cut, type CutProxy } from '../harness/redis-cut-proxy.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startTestService, type TestService } from '../harness/service.ts';

// Attacks on the webhook's one-transaction write (records and jobs in one MULTI per chunk): Redis
// breaking inside the transaction, the same occurrence twice in a notification, and two replicas
// storing the same notification at once. What must hold: 202 only when the runs are stored, 503
// otherwise, and after any retry exactly one record and one job per occurrence.

const RUNBOOK = `name: rb\nmatch: ['alertname = "X"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`;
const RERUN = `name: again\nmatch: ['alertname = "Again"']\ntarget: t\npolicy: { cooldown: 10m, rerun: afterCooldown }\nsteps:\n  - name: s\n    http: { path: /x }\n`;
const INVENTORY = `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`;
const TOKEN = 'attack13-webhook-token';
const OPERATOR = 'attack13-operator-token';
const hook = { authorization: `Bearer ${TOKEN}` };
const STARTS = '2026-11-21T07:18:09.123Z';

let redisServer: TestRedis;
let proxy: CutProxy;
let redis: Redis;
let a: TestService;
let b: TestService;

beforeAll(async () => {
  redisServer = await startTestRedis();
  proxy = await startCutProxy(redisServer.url);
  redis = new Redis(redisServer.url);
  const env = { REMEDIATOR_WEBHOOK_TOKEN: TOKEN, REMEDIATOR_OPERATOR_TOKEN: OPERATOR };
  const options = {
    runbooks: { 'rb.yaml': RUNBOOK, 'again.yaml': RERUN },
    inventory: INVENTORY,
    redis: redisServer,
  };
  // Replica a talks to Redis through the proxy that breaks connections; b talks to it directly.
  a = await startTestService({ ...options, env: { ...env, REDIS_URL: proxy.url } });
  b = await startTestService({ ...options, env });
});
afterAll(async () => {
  redis?.disconnect();
  await a?.stop();
  await b?.stop();
  await proxy?.close();
  await redisServer?.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

let serial = 0;
const fingerprint = () => `a13${(serial++).toString(16).padStart(8, '0')}`;
const idOf = (fp: string) => runId('rb', fp, STARTS);
const notification = (fps: string[]) =>
  payload(fps.map((fp) => ({ labels: { alertname: 'X' }, fingerprint: fp })));

/** Run records and BullMQ job hashes stored for this run id (0 or 1 each, if all is well). */
async function stored(id: string): Promise<{ records: number; jobs: number }> {
  const records = await redis.exists(`remediator:run:${id}`);
  const jobs = await redis.exists(`remediator:runs:${id}`);
  return { records, jobs };
}

async function post(svc: TestService, body: unknown) {
  const res = await svc.post('/hooks/alertmanager', body, hook);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Redis breaks inside the transaction', () => {
  it.each<[Cut, string]>([
    ['before', 'the transaction never reaches Redis'],
    ['midway', 'Redis receives half of it (MULTI and some commands, no EXEC)'],
    ['after', 'Redis runs it but the answer is lost'],
  ])(
    '%s: %s: 503 or 202 with both stored, never one without the other; the retry stores exactly once',
    async (cut) => {
      const fp = fingerprint();
      const id = idOf(fp);
      proxy.arm(cut, [id, '\r\nmulti\r\n', '\r\nexec\r\n']);
      const first = await post(a, notification([fp]));
      expect(proxy.fired()).toBe(true);
      // 202 only with both stored (ioredis may send the whole transaction again on the new
      // connection); otherwise 503, with both or neither stored: Alertmanager forgets a 202.
      const afterCut = await stored(id);
      if (first.status === 202) expect(afterCut).toEqual({ records: 1, jobs: 1 });
      else expect(first.status).toBe(503);
      expect(afterCut.records).toBe(afterCut.jobs);
      // Alertmanager retries (a few ms later: the connection comes back within a second).
      let retry = await post(a, notification([fp]));
      for (let i = 0; retry.status === 503 && i < 40; i++) {
        await new Promise((r) => setTimeout(r, 100));
        retry = await post(a, notification([fp]));
      }
      expect(retry.status).toBe(202);
      expect(retry.body).toMatchObject(
        afterCut.records === 1
          ? { queued: 0, duplicates: 1, failed: 0 }
          : { queued: 1, duplicates: 0, failed: 0 },
      );
      expect(await stored(id)).toEqual({ records: 1, jobs: 1 });
    },
  );
});

describe('Redis loses its scripts under an open connection (SCRIPT FLUSH, a restart behind a proxy)', () => {
  it('the next notification is stored, not answered 503 forever', async () => {
    expect((await post(a, notification([fingerprint()]))).status).toBe(202);
    await redis.script('FLUSH');
    const fps = [fingerprint(), fingerprint()];
    const res = await post(a, notification(fps));
    expect(res).toMatchObject({ status: 202, body: { queued: 2, duplicates: 0 } });
    for (const fp of fps) expect(await stored(idOf(fp))).toEqual({ records: 1, jobs: 1 });
  });

  it('only the records script back (another client loaded it): no record is left without its job', async () => {
    expect((await post(a, notification([fingerprint()]))).status).toBe(202);
    await redis.script('FLUSH');
    await redis.script('LOAD', CREATE_RUNS);
    const fp = fingerprint();
    const res = await post(a, notification([fp]));
    // The records went in on the first try: they still count as new, not as duplicates.
    expect(res).toMatchObject({ status: 202, body: { queued: 1, duplicates: 0 } });
    expect(await stored(idOf(fp))).toEqual({ records: 1, jobs: 1 });
  });
});

describe('the same occurrence more than once', () => {
  it('twice in one notification, sent to two replicas at once: one record, one job, both 202', async () => {
    const fps = [fingerprint(), fingerprint()];
    const body = notification([fps[0]!, fps[1]!, fps[0]!, fps[1]!, fps[0]!]);
    const answers = await Promise.all([post(a, body), post(b, body), post(a, body), post(b, body)]);
    for (const answer of answers) expect(answer.status).toBe(202);
    // Every copy is accounted for: two new runs over all answers, the rest duplicates.
    const queued = answers.reduce((n, x) => n + Number(x.body['queued']), 0);
    const duplicates = answers.reduce((n, x) => n + Number(x.body['duplicates']), 0);
    expect(queued).toBe(2);
    expect(duplicates).toBe(4 * 5 - 2);
    for (const fp of fps) expect(await stored(idOf(fp))).toEqual({ records: 1, jobs: 1 });
    expect((await redis.keys('remediator:runs:*')).filter((k) => /:[0-9a-f]{32}$/.test(k))).toHaveLength(2);
  });

  it('an ended occurrence sent again to two replicas at once: one re-run, with one job', async () => {
    const fp = fingerprint();
    const body = payload([{ labels: { alertname: 'Again' }, fingerprint: fp }]);
    expect((await post(a, body)).status).toBe(202);
    const first = runId('again', fp, STARTS);
    expect((await a.waitForRun(first)).status).toBe('failed');
    const answers = await Promise.all([post(a, body), post(b, body), post(b, body)]);
    for (const answer of answers) expect(answer.status).toBe(202);
    expect(answers.reduce((n, x) => n + Number(x.body['queued']), 0)).toBe(1);
    const rerun = (await redis.keys('remediator:run:*')).filter((k) => !k.endsWith(first));
    expect(rerun).toHaveLength(1);
    expect(await stored(rerun[0]!.slice('remediator:run:'.length))).toEqual({ records: 1, jobs: 1 });
  });
});

// The login throttle's one-second memory of unblocked clients (src/stores/login-throttle-cache.ts),
// attacked across the two replicas: every request comes from 127.0.0.1, so all are one client.
describe('a guesser against the remembered login throttle', () => {
  const guess = (svc: TestService, i: number) =>
    svc.get('/api/v1/runs', { authorization: `Bearer guess-${i}`, 'x-forwarded-for': `10.9.${i}.1` });

  it('a replica primed without any credential lets at most one guess through after a block made elsewhere', async () => {
    // A login form sent without its CSRF token: read from Redis (unblocked), never counted as a failure.
    const prime = await fetch(`${a.url}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=x',
    });
    expect(prime.status).toBe(403);
    expect(await redis.keys('remediator:auth:failures:*')).toEqual([]);
    // Blocked through the other replica (other X-Forwarded-For values change nothing: one client),
    // then for longer than this test can take, by more failures counted there.
    const onB: number[] = [];
    for (let i = 0; i < 11; i++) onB.push((await guess(b, i)).status);
    expect(onB.at(-1)).toBe(401);
    expect((await guess(b, 11)).status).toBe(429);
    const elsewhere = createAuthStores(redis, 'remediator:').logins;
    for (let i = 0; i < 5; i++) await elsewhere.failed('loopback');
    // Many guesses at once on the primed replica, within its second of memory.
    const onA = (await Promise.all(Array.from({ length: 20 }, (_, i) => guess(a, 100 + i)))).map(
      (r) => r.status,
    );
    expect(onA.filter((s) => s === 401).length).toBeLessThanOrEqual(1);
    expect(onA.filter((s) => s === 429).length).toBeGreaterThanOrEqual(19);
    // And it cannot be primed again while blocked: the form is refused 429 before its CSRF check.
    const again = await fetch(`${a.url}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=x',
    });
    expect(again.status).toBe(429);
    expect((await guess(a, 200)).status).toBe(429);
  });
});

describe('the memory of unblocked clients, races and the clock', () => {
  it('an unblocked answer read while this replica counted the failures that block is not remembered', async () => {
    const here = cacheLogins(createAuthStores(redis, 'remediator:').logins, { now: () => performance.now() });
    // The read goes out first; the blocking failures are sent while it is on its way.
    const read = here.blockedFor('loopback');
    const blocks = await Promise.all(Array.from({ length: 11 }, () => here.failed('loopback')));
    expect(await read).toBe(0);
    expect(Math.max(...blocks)).toBeGreaterThan(0);
    expect(await here.blockedFor('loopback')).toBeGreaterThan(0);
  });

  it('a clock set back does not stretch the one second of memory', async () => {
    let now = Date.parse('2026-12-03T12:00:00Z');
    const here = cacheLogins(createAuthStores(redis, 'remediator:').logins, { okMs: 1000, now: () => now });
    const elsewhere = createAuthStores(redis, 'remediator:').logins;
    expect(await here.blockedFor('loopback')).toBe(0);
    for (let i = 0; i < 11; i++) await elsewhere.failed('loopback');
    // NTP steps the clock back an hour (a VM resumed, a wrong time corrected): the block made by
    // the other replica must still hold here within a second, not an hour.
    now -= 3_600_000;
    now += 1001;
    expect(await here.blockedFor('loopback')).toBeGreaterThan(0);
  });
});

describe('a huge value in the notification', () => {
  it('a long group key is not copied into every run: what is stored stays near the size of what came', async () => {
    // group_by on a label the alert's author sets: Alertmanager puts its value in the group key.
    const groupKey = `{}/{severity="page"}:{version="${'v'.repeat(256 * 1024)}"}`;
    const fps = Array.from({ length: 50 }, () => fingerprint());
    const body = payload(
      fps.map((fp) => ({ labels: { alertname: 'X' }, fingerprint: fp })),
      { groupKey },
    );
    const res = await post(b, body);
    expect(res.status).toBe(202);
    let bytes = 0;
    for (const fp of fps) bytes += await redis.hstrlen(`remediator:run:${idOf(fp)}`, 'doc');
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(4 * JSON.stringify(body).length);
    const doc = JSON.parse((await redis.hget(`remediator:run:${idOf(fps[0]!)}`, 'doc'))!);
    expect(doc.source.groupKey).toHaveLength(1024);
    expect(doc.source.groupKey.startsWith('{}/{severity="page"}:{version="vvv')).toBe(true);
    expect(doc.source.groupKey).toMatch(
      new RegExp(`v… \\(${groupKey.length} characters, sha256 [0-9a-f]{16}\\)$`),
    );
  });
});
