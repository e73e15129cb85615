import { describe, expect, it } from 'vitest';
import { createPageHoldApi } from '../../../src/execute/page-hold-alertmanager.ts';
import type { HoldSilence } from '../../../src/execute/page-hold-silence.ts';

const silence: HoldSilence = {
  matchers: [{ name: 'alertname', value: 'A', isRegex: false, isEqual: true }],
  createdBy: 'remediator',
  comment: 'remediator page hold: test',
};
const log = { debug() {}, info() {}, warn() {}, error() {} };
const t0 = new Date('2026-12-03T10:00:00Z');
const t1 = new Date('2026-12-03T10:02:00Z');

/** A fetch that answers from a script per peer and records every call. */
function peers(script: Record<string, (method: string, path: string, body: unknown) => Response>) {
  const calls: string[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    calls.push(`${url.host} ${method} ${url.pathname}`);
    const answer = script[url.host];
    if (!answer) throw new TypeError('fetch failed: connect ECONNREFUSED');
    return answer(method, url.pathname, init?.body ? JSON.parse(String(init.body)) : undefined);
  }) as typeof fetch;
  return { calls, fetchFn };
}

describe('page hold API over several Alertmanager peers', () => {
  it('tries the next peer when one is down, and names every failure when none answers', async () => {
    const { calls, fetchFn } = peers({ 'b:9093': () => Response.json({ silenceID: 's1' }) });
    const api = createPageHoldApi({ urls: ['http://a:9093', 'http://b:9093'], fetch: fetchFn, log });
    expect(await api.create(silence, t0, t1)).toBe('s1');
    expect(calls).toEqual(['a:9093 POST /api/v2/silences', 'b:9093 POST /api/v2/silences']);
    const none = createPageHoldApi({ urls: ['http://a:9093'], fetch: fetchFn, log });
    await expect(none.create(silence, t0, t1)).rejects.toMatchObject({
      code: 'E_ALERTMANAGER',
      message: 'no Alertmanager peer answered: http://a:9093: fetch failed: connect ECONNREFUSED',
    });
  });

  it('does not ask another peer what one refused as a bad request', async () => {
    const bad = () => new Response('bad matcher', { status: 400 });
    const { calls, fetchFn } = peers({ 'a:9093': bad, 'b:9093': bad });
    const api = createPageHoldApi({ urls: ['http://a:9093', 'http://b:9093'], fetch: fetchFn, log });
    await expect(api.create(silence, t0, t1)).rejects.toMatchObject({ code: 'E_ALERTMANAGER' });
    expect(calls).toEqual(['a:9093 POST /api/v2/silences']);
  });

  it('renews under the same id, and makes the hold anew where the id is unknown', async () => {
    const posted: unknown[] = [];
    const { calls, fetchFn } = peers({
      'a:9093': (method, _path, body) => {
        if (method === 'DELETE') return new Response('"silence not found"', { status: 500 });
        posted.push(body);
        const id = (body as { id?: string }).id;
        return id === 'gone'
          ? new Response('silence not found', { status: 404 })
          : Response.json({ silenceID: id ?? 'new' });
      },
    });
    const api = createPageHoldApi({ urls: ['http://a:9093'], fetch: fetchFn, log });
    expect(await api.renew('s1', silence, t0, t1)).toBe('s1');
    expect(posted[0]).toEqual({
      id: 's1',
      ...silence,
      startsAt: '2026-12-03T10:00:00.000Z',
      endsAt: '2026-12-03T10:02:00.000Z',
    });
    expect(await api.renew('gone', silence, t0, t1)).toBe('new');
    expect(calls.slice(1)).toEqual([
      'a:9093 POST /api/v2/silences',
      'a:9093 POST /api/v2/silences',
      'a:9093 DELETE /api/v2/silence/gone',
    ]);
    // Alertmanager 0.25 answers 500 "silence not found" for an unknown id: released is released.
    await expect(api.release('gone')).resolves.toBeUndefined();
  });
});

describe('page hold API against an Alertmanager that misbehaves (real sockets)', () => {
  /** A peer that accepts connections and answers `answer`, or never when it is undefined. */
  async function peer(answer?: string): Promise<{ url: string; close(): Promise<void> }> {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      if (answer !== undefined) res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
    };
  }

  it('gives up on peers that never answer within the per-peer timeout, so a run is delayed, not stalled', async () => {
    const [a, b] = await Promise.all([peer(), peer()]);
    const api = createPageHoldApi({ urls: [a.url, b.url], fetch, log, timeoutMs: 200 });
    const t = Date.now();
    await expect(api.alerts({ alertname: 'A' })).rejects.toMatchObject({ code: 'E_ALERTMANAGER' });
    await expect(api.create(silence, t0, t1)).rejects.toMatchObject({ code: 'E_ALERTMANAGER' });
    // Two calls, two peers, 200 ms each: nowhere near a hang (generous for a loaded machine).
    expect(Date.now() - t).toBeLessThan(5000);
    await Promise.all([a.close(), b.close()]);
  });

  it('reads a 200 with garbage as no answer (E_ALERTMANAGER), never as a silence id or an empty list', async () => {
    const junk = await peer('<html>proxy login</html>');
    const api = createPageHoldApi({ urls: [junk.url], fetch, log });
    await expect(api.alerts({ alertname: 'A' })).rejects.toMatchObject({ code: 'E_ALERTMANAGER' });
    await expect(api.create(silence, t0, t1)).rejects.toMatchObject({ code: 'E_ALERTMANAGER' });
    await junk.close();
  });
});
