/**
 * One demo service instance over HTTP: `/` (the work), `/healthz`, `/metrics`, fault injection under
 * `/fault/*` and the gentle recovery API under `/admin/*`. See demo/README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDemoMetrics } from './metrics.ts';
import { DEFAULT_LEAK_BYTES_PER_SECOND, MIB, Sim } from './sim.ts';

export const SERVICES = ['user-service', 'order-service', 'payment-service'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface DemoServiceOptions {
  service: ServiceName;
  instance: number;
  /** 0 = any free port. */
  port: number;
  /** @defaultValue 127.0.0.1 */
  host?: string;
  /** How often simulated time advances. @defaultValue 250 */
  tickMs?: number;
}

export interface DemoService {
  readonly port: number;
  readonly url: string;
  readonly sim: Sim;
  close(): Promise<void>;
}

const BODY_LIMIT = 4096;
const MAX_POOL = 10_000;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

type Handler = (body: Record<string, unknown>) => unknown;

export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  const sim = new Sim();
  const metrics = createDemoMetrics(sim);
  const tickMs = options.tickMs ?? 250;
  // Advance by the time that really passed, so a busy machine that delays ticks keeps the rates right.
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    metrics.count(sim.tick(now - last));
    last = now;
  }, tickMs);
  const identity = { service: options.service, instance: options.instance, pid: process.pid };
  const posts = postRoutes(sim);

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      send(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && (path === '/' || path === '/healthz') && sim.faults.hung) {
      return; // hung: never answer; close() destroys the connection
    }
    if (req.method === 'GET' && path === '/') return serveRoot(res);
    if (req.method === 'GET' && path === '/healthz') {
      const reasons = sim.unhealthyReasons();
      return send(res, reasons.length === 0 ? 200 : 503, {
        ...identity,
        healthy: reasons.length === 0,
        reasons,
      });
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    if (req.method === 'GET' && path === '/admin/state') return send(res, 200, { ...identity, ...state() });
    const route = posts[path];
    if (route === undefined) throw new HttpError(404, `no route ${path}`);
    if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`);
    const result = route(await readJson(req));
    send(res, 200, { ...identity, ...(result ?? {}), state: state() });
  }

  function serveRoot(res: ServerResponse): void {
    if (!sim.accepting) return send(res, 503, { ...identity, error: 'draining' });
    const { errors } = sim.split(1);
    metrics.count({ ok: 1 - errors, errors });
    send(res, errors === 1 ? 500 : 200, { ...identity, ok: errors === 0 });
  }

  function state() {
    return {
      memoryBytes: sim.memoryBytes,
      poolSize: sim.poolSize,
      poolInUse: sim.poolInUse,
      accepting: sim.accepting,
      faults: { ...sim.faults },
    };
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port }, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    sim,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function postRoutes(sim: Sim): Record<string, Handler> {
  return {
    '/fault/memory-leak': (body) => {
      const mib = optionalNumber(body, 'mibPerSecond', 0.001, 1024);
      const releasable = body['releasable'] ?? true;
      if (typeof releasable !== 'boolean') throw new HttpError(400, '"releasable" must be true or false');
      sim.faults.leakBytesPerSecond = mib === undefined ? DEFAULT_LEAK_BYTES_PER_SECOND : mib * MIB;
      sim.faults.leakReleasable = releasable;
    },
    '/fault/error-spike': (body) => {
      sim.faults.errorRatio = optionalNumber(body, 'ratio', 0.01, 1) ?? 0.5;
    },
    '/fault/cpu-burn': () => {
      sim.faults.cpuBurn = true;
    },
    '/fault/pool-exhaustion': () => sim.exhaustPool(),
    '/fault/hang': () => {
      sim.faults.hung = true;
    },
    '/fault/clear': () => sim.clearFaults(),
    '/admin/release-memory': () => ({ freedBytes: sim.releaseMemory() }),
    '/admin/pool': (body) => {
      const size = optionalNumber(body, 'maxConnections', 1, MAX_POOL);
      if (size === undefined || !Number.isInteger(size)) {
        throw new HttpError(400, `body needs { "maxConnections": integer 1..${MAX_POOL} }`);
      }
      sim.poolSize = size;
    },
    '/admin/drain': () => {
      sim.accepting = false;
    },
    '/admin/undrain': () => {
      sim.accepting = true;
    },
  };
}

function optionalNumber(body: Record<string, unknown>, key: string, min: number, max: number) {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new HttpError(400, `"${key}" must be a number in ${min}..${max}`);
  }
  return value;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > BODY_LIMIT) throw new HttpError(413, `body over ${BODY_LIMIT} bytes`);
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}
