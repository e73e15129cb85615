import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpTarget {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Sets the status (and body, headers, delay before answering) the next requests get. */
  respond(status: number, body?: string, headers?: Record<string, string>, delayMs?: number): void;
  stop(): Promise<void>;
}

/** A real HTTP server on a free loopback port that records what it is sent. */
export async function startHttpTarget(): Promise<HttpTarget> {
  const requests: RecordedRequest[] = [];
  let reply = { status: 200, body: '{"ok":true}', headers: {} as Record<string, string>, delayMs: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const { status, headers, delayMs, body: answer } = reply;
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(answer);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    respond(status, body = '', headers = {}, delayMs = 0) {
      reply = { status, body, headers, delayMs };
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
