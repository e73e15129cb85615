import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OccurrenceStore } from '../../src/stores/types.ts';
import type { VerifyDeps, VerifySpec } from '../../src/verify/types.ts';
import { verify } from '../../src/verify/verify.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { freePort } from '../harness/ports.ts';
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.ts';

const labels = { alertname: 'DiskFull', instance: 'db-1:9100', path: 'C:\\data "x"&y' };
const alert = { occurrence: 'occ-1', fingerprint: 'a1b2c3d4e5f60718', labels };

/** The OccurrenceStore contract, in memory (the Redis one has its own tests). */
function memoryOccurrences(): OccurrenceStore & { resolved: Set<string> } {
  const resolved = new Set<string>();
  return {
    resolved,
    markResolved: async (occurrences) => void occurrences.forEach((o) => resolved.add(o)),
    areResolved: async (occurrences) => occurrences.map((o) => resolved.has(o)),
  };
}

function deps(more: Partial<VerifyDeps> = {}): VerifyDeps {
  return {
    occurrences: memoryOccurrences(),
    alert,
    fetch: globalThis.fetch,
    now: Date.now,
    sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
    intervalMs: 50,
    ...more,
  };
}

/** Answers GET /am/api/v2/alerts like Alertmanager, listing the alerts in `alerts`. */
async function startFakeAlertmanager() {
  const state = { alerts: [] as object[], status: 200, queries: [] as string[] };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.queries.push(url.search);
    if (url.pathname !== '/am/api/v2/alerts') return void res.writeHead(404).end('not found');
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(state.status === 200 ? JSON.stringify(state.alerts) : '{"message":"boom"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/am`, state, stop: () => new Promise((r) => server.close(r)) };
}

describe('verify alertResolved', () => {
  const spec: VerifySpec = { kind: 'alertResolved', withinMs: 1000 };
  let am: Awaited<ReturnType<typeof startFakeAlertmanager>>;
  beforeAll(async () => (am = await startFakeAlertmanager()));
  afterAll(() => am?.stop());
  beforeEach(() => {
    am.state.alerts = [];
    am.state.status = 200;
    am.state.queries.length = 0;
  });

  it('passes once a resolved notification marks the occurrence', async () => {
    const occurrences = memoryOccurrences();
    setTimeout(() => void occurrences.markResolved(['occ-1'], 60_000), 200);
    const result = await verify(spec, deps({ occurrences }));
    expect(result).toMatchObject({ ok: true, detail: 'Alertmanager sent a resolved notification' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(150);
  });

  it('fails after the deadline without Alertmanager URL when nothing resolves it', async () => {
    const result = await verify({ kind: 'alertResolved', withinMs: 300 }, deps());
    expect(result).toMatchObject({ ok: false, detail: 'no resolved notification yet' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(result.elapsedMs).toBeLessThan(800);
  });

  it('asks Alertmanager for active, silenced and inhibited alerts with one matcher per label', async () => {
    am.state.alerts = [{ fingerprint: alert.fingerprint, status: { state: 'active' } }];
    setTimeout(() => (am.state.alerts = [{ fingerprint: 'someone-else', status: { state: 'active' } }]), 200);
    const result = await verify(spec, deps({ alertmanagerUrl: am.url }));
    expect(result).toMatchObject({ ok: true, detail: 'Alertmanager no longer lists the alert' });
    const query = am.state.queries[0] ?? '';
    const params = new URLSearchParams(query);
    expect(params.get('active')).toBe('true');
    expect(params.get('silenced')).toBe('true');
    expect(params.get('inhibited')).toBe('true');
    expect(params.getAll('filter')).toEqual([
      'alertname="DiskFull"',
      'instance="db-1:9100"',
      'path="C:\\\\data \\"x\\"&y"',
    ]);
    // Percent-encoded throughout: no raw quote, space, plus or ampersand inside a value.
    expect(query).toContain('filter=alertname%3D%22DiskFull%22');
    expect(query).toContain('filter=path%3D%22C%3A%5C%5Cdata%20%5C%22x%5C%22%26y%22');
  });

  it('fails while Alertmanager still lists the fingerprint, with its state', async () => {
    am.state.alerts = [{ fingerprint: alert.fingerprint, status: { state: 'suppressed' } }];
    const result = await verify({ kind: 'alertResolved', withinMs: 1500 }, deps({ alertmanagerUrl: am.url }));
    expect(result).toMatchObject({
      ok: false,
      detail: 'no resolved notification yet; Alertmanager still lists the alert (suppressed)',
    });
    expect(am.state.queries.length).toBeGreaterThanOrEqual(3);
  });

  it('does not take an unreachable or failing Alertmanager for resolved', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await verify(
      { kind: 'alertResolved', withinMs: 200 },
      deps({ alertmanagerUrl: closed }),
    );
    expect(unreachable.ok).toBe(false);
    expect(unreachable.detail).toMatch(
      /^no resolved notification yet; Alertmanager API unreachable: .*ECONNREFUSED/,
    );
    am.state.status = 500;
    const failing = await verify({ kind: 'alertResolved', withinMs: 200 }, deps({ alertmanagerUrl: am.url }));
    expect(failing.detail).toBe(
      'no resolved notification yet; Alertmanager API answered 500: {"message":"boom"}',
    );
  });

  it('still asks Alertmanager when the occurrence store fails', async () => {
    const broken: OccurrenceStore = {
      markResolved: () => Promise.reject(new Error('unused')),
      areResolved: () => Promise.reject(new Error('Connection is closed.')),
    };
    const ok = await verify(spec, deps({ occurrences: broken, alertmanagerUrl: am.url }));
    expect(ok).toMatchObject({ ok: true, detail: 'Alertmanager no longer lists the alert' });
    const failed = await verify({ kind: 'alertResolved', withinMs: 150 }, deps({ occurrences: broken }));
    expect(failed.detail).toBe('cannot read resolved occurrences: Connection is closed.');
  });
});

describe('verify promql against a real Prometheus', () => {
  let prometheus: TestPrometheus;
  // Windows long enough for a real Prometheus on a loaded machine to answer at least once: each poll
  // gets only the time left, so a 300 ms window left a slow first answer nothing to report.
  beforeAll(async () => (prometheus = await startPrometheus()));
  afterAll(() => prometheus?.stop());
  const promql = (query: string, expect: 'empty' | 'true', withinMs = 1500): VerifySpec => ({
    kind: 'promql',
    query,
    expect,
    withinMs,
  });

  it('passes on a one-sample vector or a scalar equal to 1, and on an empty result', async () => {
    const url = { prometheusUrl: prometheus.url };
    expect(await verify(promql('vector(1)', 'true'), deps(url))).toMatchObject({
      ok: true,
      detail: 'query returned 1',
    });
    expect(await verify(promql('1', 'true'), deps(url))).toMatchObject({ ok: true });
    expect(await verify(promql('vector(0) > 1', 'empty'), deps(url))).toMatchObject({
      ok: true,
      detail: 'query returned no series',
    });
    // Characters that mean something in a query string must arrive as written.
    const encoded = promql('label_replace(vector(1), "a", "x y&z+#", "", "") == 1', 'true');
    expect(await verify(encoded, deps(url))).toMatchObject({ ok: true });
  });

  it('fails with what the query returned', async () => {
    const url = { prometheusUrl: prometheus.url };
    const two = await verify(promql('vector(2)', 'true'), deps(url));
    expect(two).toMatchObject({ ok: false, detail: 'query returned 2, expected 1' });
    expect(two.elapsedMs).toBeGreaterThanOrEqual(300);
    const notEmpty = await verify(promql('vector(1)', 'empty'), deps(url));
    expect(notEmpty.detail).toBe('query returned 1 series, expected no series');
    const none = await verify(promql('vector(1) > 1', 'true'), deps(url));
    expect(none.detail).toBe('query returned 0 series, expected 1');
  });

  it("puts Prometheus' error text into the detail", async () => {
    const result = await verify(promql('vector(1', 'true', 1500), deps({ prometheusUrl: prometheus.url }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /^Prometheus answered 400: bad_data: .*parse error: unclosed left parenthesis/,
    );
  });

  it('fails at once without a Prometheus URL, and polls an unreachable one', async () => {
    const missing = await verify(promql('vector(1)', 'true', 2000), deps());
    expect(missing).toMatchObject({
      ok: false,
      detail: 'REMEDIATOR_PROMETHEUS_URL is not set; a promql check needs it',
    });
    expect(missing.elapsedMs).toBeLessThan(100);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const away = await verify(promql('vector(1)', 'true', 200), deps({ prometheusUrl: closed }));
    expect(away.detail).toMatch(/^Prometheus unreachable: .*ECONNREFUSED/);
  });
});

describe('a last poll cut short at the deadline', () => {
  it('keeps what the last answered poll said (a loaded Prometheus missing the final 100 ms is not the reason)', async () => {
    // Answers the first query with no series, then never again: every later poll times out.
    let answered = 0;
    const server: Server = createServer((_req, res) => {
      if (answered++ > 0) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const spec: VerifySpec = { kind: 'promql', query: 'up == bool 1', expect: 'true', withinMs: 400 };
      const result = await verify(spec, deps({ prometheusUrl: url }));
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(
        /^query returned 0 series, expected 1; last check: Prometheus unreachable: no answer within \d+ ms$/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('verify http probe', () => {
  let server: HttpTarget;
  const httpTarget = () => ({
    baseUrl: `${server.baseUrl}/app`,
    headers: { authorization: 'Bearer s3cret' },
  });
  const probe = (withinMs: number, expect: number[] = []): VerifySpec => ({
    kind: 'http',
    path: '/healthz',
    expect,
    withinMs,
  });
  beforeAll(async () => (server = await startHttpTarget()));
  afterAll(() => server?.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.respond(503);
  });

  it('passes once the target flips from 503 to 200, sending the inventory headers', async () => {
    setTimeout(() => server.respond(200), 300);
    const result = await verify(probe(2000), deps({ httpTarget: httpTarget() }));
    expect(result).toMatchObject({ ok: true, detail: 'GET /healthz answered 200' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/app/healthz' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer s3cret');
  });

  it('fails with the last status after the deadline', async () => {
    const result = await verify(probe(400), deps({ httpTarget: httpTarget() }));
    expect(result).toMatchObject({ ok: false, detail: 'GET /healthz answered 503, expected 200' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(400);
    expect(result.elapsedMs).toBeLessThan(900);
  });

  it('does not follow redirects; passes on one only when expected', async () => {
    server.respond(301, '', { location: 'http://127.0.0.1:1/elsewhere' });
    const result = await verify(probe(300, [204, 301]), deps({ httpTarget: httpTarget() }));
    expect(result).toMatchObject({ ok: true, detail: 'GET /healthz answered 301' });
  });

  it('gives each request only the time left', async () => {
    server.respond(200, '', {}, 1500);
    const result = await verify(probe(300), deps({ httpTarget: httpTarget() }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^GET \/healthz: no answer within \d+ ms$/);
    expect(result.elapsedMs).toBeLessThan(1000);
  });

  it('stops when the signal aborts, between polls or during a request', async () => {
    const between = new AbortController();
    setTimeout(() => between.abort(), 200);
    const one = await verify(probe(2000), deps({ httpTarget: httpTarget(), signal: between.signal }));
    expect(one).toMatchObject({
      ok: false,
      detail: 'aborted; last check: GET /healthz answered 503, expected 200',
    });
    expect(one.elapsedMs).toBeLessThan(600);
    server.respond(200, '', {}, 1500);
    const during = new AbortController();
    setTimeout(() => during.abort(), 100);
    const two = await verify(probe(2000), deps({ httpTarget: httpTarget(), signal: during.signal }));
    expect(two).toMatchObject({ ok: false, detail: 'aborted before any check finished' });
    expect(two.elapsedMs).toBeLessThan(600);
  });

  it('fails at once without an http section or with a path that leaves the base URL', async () => {
    const none = await verify(probe(2000), deps());
    expect(none.ok).toBe(false);
    expect(none.detail).toBe(
      'the target has no http section in the inventory; an http check needs its baseUrl',
    );
    const escape = await verify(
      { kind: 'http', path: '//evil.example/x', expect: [], withinMs: 2000 },
      deps({ httpTarget: httpTarget() }),
    );
    expect(escape).toMatchObject({
      ok: false,
      detail: 'path "//evil.example/x" leaves the target\'s base URL',
    });
    expect(server.requests).toHaveLength(0);
  });
});
