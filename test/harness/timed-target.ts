import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One request as the server saw it: when it arrived and when its answer was sent (ms, monotonic). */
export interface TimedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly start: number;
  /** Set when the answer has been written; undefined while the request is in flight. */
  end?: number;
}

export interface TimedTarget {
  readonly baseUrl: string;
  readonly requests: TimedRequest[];
  /** The most requests that were in flight at one instant so far. */
  maxInFlight(): number;
  /** Requests in flight now. */
  inFlight(): number;
  /** Sets the status, the delay before answering and the body the next requests get. */
  respond(status: number, delayMs?: number, body?: string): void;
  stop(): Promise<void>;
}

/**
 * A real HTTP server on a free loopback port that records, for every request, the instant it arrived
 * and the instant its answer was sent, and counts how many were in flight at once. It runs in the
 * test's process, so its clock is the one the services under test use too.
 */
export async function startTimedTarget(): Promise<TimedTarget> {
  const requests: TimedRequest[] = [];
  let reply = { status: 200, delayMs: 0, body: '{"ok":true}' };
  let current = 0;
  let max = 0;
  const server = createServer((req, res) => {
    const record: TimedRequest = { method: req.method ?? '', url: req.url ?? '', body: '', start: now() };
    requests.push(record);
    current++;
    max = Math.max(max, current);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      (record as { body: string }).body = Buffer.concat(chunks).toString('utf8');
      const { status, delayMs, body } = reply;
      setTimeout(() => {
        record.end = now();
        current--;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => max,
    inFlight: () => current,
    respond(status, delayMs = 0, body = '{"ok":true}') {
      reply = { status, delayMs, body };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function now(): number {
  return performance.now();
}

/** Pairs of requests whose [start, end] intervals overlap (an unanswered request lasts for ever). */
export function overlapping(requests: readonly TimedRequest[]): Array<[string, string]> {
  const sorted = [...requests].sort((a, b) => a.start - b.start);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      if (b.start < (a.end ?? Infinity)) pairs.push([a.url, b.url]);
    }
  }
  return pairs;
}
