import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpAction } from '../../src/execute/executor.ts';
import { createHttpExecutor, joinUrl } from '../../src/execute/http.ts';
import type { HttpTarget as InventoryHttpTarget } from '../../src/types.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { freePort } from '../harness/ports.ts';

const executor = createHttpExecutor();
let server: HttpTarget;
let target: InventoryHttpTarget;

beforeAll(async () => {
  server = await startHttpTarget();
  target = { baseUrl: server.baseUrl, headers: {} };
});
afterAll(() => server?.stop());
beforeEach(() => {
  server.requests.length = 0;
  server.respond(200, '{"ok":true}');
});

function http(path: string, more: Partial<HttpAction> = {}): HttpAction {
  return { kind: 'http', method: 'POST', path, headers: {}, expect: [], timeoutMs: 5000, ...more };
}

/** A server that takes connections and then does `stall` to them; closed with all its sockets. */
async function startStallingServer(
  sendHeaders: boolean,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const stalling: Server = createServer((_req, res) => {
    if (sendHeaders) {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    }
  });
  await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
  const { port } = stalling.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        stalling.closeAllConnections();
        stalling.close(() => resolve());
      }),
  };
}

describe('http executor against a real server', () => {
  it('sends the method, path, JSON body and content type', async () => {
    const result = await executor.run(
      target,
      http('/admin/pool?reason=alert', { method: 'PUT', body: { maxConnections: 50, reason: 'x' } }),
    );
    expect(result).toEqual({ ok: true, httpStatus: 200, output: '{"ok":true}' });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req).toMatchObject({
      method: 'PUT',
      url: '/admin/pool?reason=alert',
      body: '{"maxConnections":50,"reason":"x"}',
    });
    expect(req!.headers['content-type']).toBe('application/json');
  });

  it('sends no body and no content type without a body, and keeps a step-given content type', async () => {
    await executor.run(target, http('/healthz', { method: 'GET' }));
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/healthz', body: '' });
    expect(server.requests[0]!.headers['content-type']).toBeUndefined();
    await executor.run(target, http('/raw', { headers: { 'content-type': 'text/plain' }, body: 'hello' }));
    expect(server.requests[1]!.headers['content-type']).toBe('text/plain');
    expect(server.requests[1]!.body).toBe('"hello"');
  });

  it('lets inventory headers win over step headers of the same name', async () => {
    const withCredentials = { ...target, headers: { authorization: 'Bearer inventory', 'x-env': 'prod' } };
    await executor.run(
      withCredentials,
      http('/x', { headers: { authorization: 'Bearer from-step', 'x-step': 'step' } }),
    );
    expect(server.requests[0]!.headers).toMatchObject({
      authorization: 'Bearer inventory',
      'x-env': 'prod',
      'x-step': 'step',
    });
  });

  it('takes any 2xx by default and nothing else', async () => {
    server.respond(204);
    expect(await executor.run(target, http('/x'))).toEqual({ ok: true, httpStatus: 204, output: '' });
    server.respond(299, 'odd');
    expect(await executor.run(target, http('/x'))).toEqual({ ok: true, httpStatus: 299, output: 'odd' });
    server.respond(500, 'boom');
    expect(await executor.run(target, http('/x'))).toEqual({
      ok: false,
      httpStatus: 500,
      output: 'boom',
      errorCode: 'E_STATUS',
      error: `POST ${server.baseUrl}/x answered 500, expected 2xx`,
    });
  });

  it('takes only the expected codes when the step names them', async () => {
    server.respond(200, 'fine');
    expect(await executor.run(target, http('/x', { method: 'DELETE', expect: [202, 204] }))).toEqual({
      ok: false,
      httpStatus: 200,
      output: 'fine',
      errorCode: 'E_STATUS',
      error: `DELETE ${server.baseUrl}/x answered 200, expected 202 or 204`,
    });
    server.respond(404, 'gone');
    expect(await executor.run(target, http('/x', { expect: [404] }))).toEqual({
      ok: true,
      httpStatus: 404,
      output: 'gone',
    });
  });

  it('does not follow redirects', async () => {
    server.respond(302, '', { location: `${server.baseUrl}/elsewhere` });
    expect(await executor.run(target, http('/start', { method: 'GET' }))).toEqual({
      ok: false,
      httpStatus: 302,
      output: '',
      errorCode: 'E_STATUS',
      error: `GET ${server.baseUrl}/start answered 302, expected 2xx`,
    });
    expect(await executor.run(target, http('/start', { method: 'GET', expect: [302] }))).toEqual({
      ok: true,
      httpStatus: 302,
      output: '',
    });
    expect(server.requests.map((r) => r.url)).toEqual(['/start', '/start']);
  });

  it('keeps the head and the tail of a large response', async () => {
    server.respond(200, 'a'.repeat(3000) + 'b'.repeat(5000) + 'c'.repeat(3000));
    const result = await executor.run(target, http('/big'));
    expect(result.ok).toBe(true);
    expect(result.output).toBe(`${'a'.repeat(2048)}\n…[6904 bytes truncated]…\n${'c'.repeat(2048)}`);
  });

  it('refuses a path that leaves the base URL, without sending anything', async () => {
    const result = await executor.run(target, http('//evil.example/x'));
    expect(result).toEqual({
      ok: false,
      output: '',
      errorCode: 'E_HTTP',
      error: `path "//evil.example/x" leaves the target's base URL`,
    });
    expect(server.requests).toEqual([]);
  });
});

describe('http executor failures', () => {
  it('times out a server that never answers', async () => {
    const silent = await startStallingServer(false);
    try {
      const started = Date.now();
      const result = await executor.run(
        { baseUrl: silent.baseUrl, headers: {} },
        http('/x', { timeoutMs: 300 }),
      );
      expect(result).toEqual({
        ok: false,
        output: '',
        errorCode: 'E_TIMEOUT',
        error: 'no complete answer within 300 ms',
      });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });

  it('times out a server that starts answering and stalls', async () => {
    const stalling = await startStallingServer(true);
    try {
      const result = await executor.run(
        { baseUrl: stalling.baseUrl, headers: {} },
        http('/x', { timeoutMs: 300 }),
      );
      expect(result).toEqual({
        ok: false,
        output: '',
        errorCode: 'E_TIMEOUT',
        error: 'no complete answer within 300 ms',
      });
    } finally {
      await stalling.close();
    }
  });

  it('reports a refused connection as E_HTTP', async () => {
    const port = await freePort();
    const result = await executor.run({ baseUrl: `http://127.0.0.1:${port}`, headers: {} }, http('/x'));
    expect(result).toEqual({
      ok: false,
      output: '',
      errorCode: 'E_HTTP',
      error: `POST http://127.0.0.1:${port}/x: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });
});

describe('joinUrl', () => {
  it('appends the path to the base URL', () => {
    expect(joinUrl('http://h:8081', '/admin/pool')).toBe('http://h:8081/admin/pool');
    expect(joinUrl('https://api.example/v1', '/pool?x=1')).toBe('https://api.example/v1/pool?x=1');
    expect(joinUrl('https://api.example/v1/', '/pool')).toBe('https://api.example/v1/pool');
    expect(joinUrl('http://h', '/a/../b')).toBe('http://h/b');
  });

  it('refuses a protocol-relative path and a path not starting with /', () => {
    expect(joinUrl('http://h:8081', '//evil.example/x')).toBeUndefined();
    expect(joinUrl('http://h:8081', 'admin/pool')).toBeUndefined();
    expect(joinUrl('http://h:8081', '')).toBeUndefined();
    expect(joinUrl('http://h:8081', 'http://evil.example/x')).toBeUndefined();
  });

  it('refuses .. that climbs out of the base path', () => {
    expect(joinUrl('https://api.example/v1', '/../admin')).toBeUndefined();
    expect(joinUrl('https://api.example/v1', '/x/../../admin')).toBeUndefined();
    expect(joinUrl('https://api.example/v1', '/%2e%2e/admin')).toBeUndefined();
    expect(joinUrl('https://api.example/v1', '/x/../y')).toBe('https://api.example/v1/y');
  });
});

describe('joinUrl keeps requests under the base URL', () => {
  it('refuses a path that climbs to a sibling of the base path', () => {
    expect(joinUrl('http://h/base', '/../basement/x')).toBeUndefined();
    expect(joinUrl('http://h/base', '/x')).toBe('http://h/base/x');
    expect(joinUrl('http://h/base/', '/')).toBe('http://h/base/');
  });
  it('answers a failed step, never throws, for an unusable base URL', async () => {
    const result = await executor.run({ baseUrl: 'http://', headers: {} }, http('/x'));
    expect(result).toMatchObject({ ok: false, errorCode: 'E_HTTP' });
  });
});
