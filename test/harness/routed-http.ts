import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from './http-target.ts';

/** What a route answers: a status, an optional body, and how long to wait before answering. */
export interface Reply {
  status: number;
  body?: string;
  delayMs?: number;
}

export type Route = Reply | ((request: RecordedRequest) => Reply);

export interface RoutedHttp {
  readonly baseUrl: string;
  /** Every request, in the order they arrived (recorded before the answer is sent). */
  readonly requests: RecordedRequest[];
  /** Answers `METHOD /path` (query ignored) with `route`; unknown routes get 404. */
  route(method: string, path: string, route: Route): void;
  /** `METHOD /path` of every request so far, in order. */
  calls(): string[];
  /**
   * The requests `match` accepts, once there are at least `count` of them. Webhooks are posted after
   * the state they announce is stored, so a test that saw the state must wait for the message.
   */
  waitFor(
    match: (r: RecordedRequest) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<RecordedRequest[]>;
  /** Forgets the routes and the recorded requests. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A real HTTP server on a free loopback port whose answers depend on the method and path, so one
 * server can play an admin API (`POST /drain`) and a health endpoint (`GET /healthz`) at once, or
 * record the JSON an escalation webhook is sent.
 */
export async function startRoutedHttp(): Promise<RoutedHttp> {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, Route>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      const route = routes.get(keyOf(recorded.method, recorded.url));
      const reply = route === undefined ? { status: 404, body: 'no route' } : answer(route, recorded);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': 'text/plain' });
        res.end(reply.body ?? '');
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    route: (method, path, route) => void routes.set(keyOf(method, path), route),
    calls: () => requests.map((r) => keyOf(r.method, r.url)),
    async waitFor(match, count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.filter(match);
        if (found.length >= count) return found;
        if (Date.now() > deadline)
          throw new Error(`${found.length} of ${count} expected requests arrived within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    reset() {
      routes.clear();
      requests.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function keyOf(method: string, url: string): string {
  return `${method.toUpperCase()} ${url.split('?')[0]}`;
}

function answer(route: Route, request: RecordedRequest): Reply {
  return typeof route === 'function' ? route(request) : route;
}
