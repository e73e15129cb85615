/**
 * What Alertmanager delivers, seen on the wire: an HTTP relay on the port Alertmanager posts to,
 * forwarding every request unchanged to the webhook-serving remediator and its answer unchanged
 * back. When nothing listens behind it, the relay drops the connection, which is what Alertmanager
 * would have seen without it. Each notification is recorded: when, from which Alertmanager
 * (`externalURL`), which alerts, and the answer.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Delivery {
  readonly at: number;
  /** The sending Alertmanager's `--web.external-url`. */
  readonly from: string;
  readonly groupKey: string;
  readonly alerts: ReadonlyArray<{
    fingerprint: string;
    status: string;
    startsAt: string;
    labels: Record<string, string>;
  }>;
  /** remediator's answer, or 0 when the connection failed (nothing listening, reset). */
  readonly status: number;
}

export interface Wiretap {
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

export async function startWiretap(port: number, backendPort: number): Promise<Wiretap> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => relay(req, res, Buffer.concat(chunks), backendPort, deliveries));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
  return {
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function relay(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  backendPort: number,
  deliveries: Delivery[],
) {
  const record = (status: number) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/hooks/')) return;
    deliveries.push({ at: Date.now(), status, ...describe(body) });
  };
  const upstream = request(
    { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      record(answer.statusCode ?? 0);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    record(0);
    req.socket.destroy();
  });
  upstream.end(body);
}

function describe(body: Buffer): Omit<Delivery, 'at' | 'status'> {
  try {
    const payload = JSON.parse(body.toString('utf8')) as {
      externalURL?: string;
      groupKey?: string;
      alerts?: Array<{
        fingerprint: string;
        status: string;
        startsAt: string;
        labels: Record<string, string>;
      }>;
    };
    return {
      from: payload.externalURL ?? '',
      groupKey: payload.groupKey ?? '',
      alerts: (payload.alerts ?? []).map(({ fingerprint, status, startsAt, labels }) => ({
        fingerprint,
        status,
        startsAt,
        labels,
      })),
    };
  } catch {
    return { from: '', groupKey: '', alerts: [] };
  }
}
