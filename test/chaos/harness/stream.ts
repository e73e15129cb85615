/**
 * A stream of synthetic `ChaosStream` alerts, sent to both Alertmanagers the way Prometheus sends
 * alerts (POST /api/v2/alerts to each), each with its own `seq` label and a fleet instance as target;
 * and what the stream runbook's step wrote about them (streamRunbook).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ChaosStack } from './stack.ts';
import { sleep } from './wait.ts';

export interface StreamAlert {
  readonly seq: number;
  readonly labels: Record<string, string>;
  readonly startsAt: string;
}

export async function postToAlertmanagers(stack: ChaosStack, alerts: readonly object[]): Promise<void> {
  await Promise.all(
    [stack.alertmanagers.a.url, stack.alertmanagers.b.url].map(async (url) => {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(5000),
      });
      await response.body?.cancel();
      if (response.status !== 200) throw new Error(`${url}: POST /api/v2/alerts answered ${response.status}`);
    }),
  );
}

export interface Stream {
  readonly alerts: StreamAlert[];
  /** Resolves once the last alert was sent. */
  readonly done: Promise<void>;
  /** Marks every alert sent so far resolved (endsAt now), at both Alertmanagers. */
  resolveAll(): Promise<void>;
}

/**
 * Sends one new alert every `everyMs` for `count` alerts, and re-sends the firing ones every few
 * seconds (as Prometheus does), so each stays active however long delivery takes.
 */
export function startStream(
  stack: ChaosStack,
  options: { scenario: string; count: number; everyMs: number },
): Stream {
  const alerts: StreamAlert[] = [];
  let stopped = false;
  const wire = (a: StreamAlert, endsAt: string) => ({
    labels: a.labels,
    annotations: { summary: `synthetic alert ${a.seq} of the chaos suite` },
    startsAt: a.startsAt,
    endsAt,
    generatorURL: 'http://chaos.invalid/stream',
  });
  const firing = () => alerts.map((a) => wire(a, new Date(Date.now() + 60_000).toISOString()));
  const done = (async () => {
    let lastResend = Date.now();
    for (let seq = 0; seq < options.count; seq++) {
      const target = stack.fleet[seq % stack.fleet.length]!;
      const alert: StreamAlert = {
        seq,
        labels: {
          alertname: 'ChaosStream',
          scenario: options.scenario,
          seq: String(seq),
          instance: target.name,
          service: target.service,
        },
        startsAt: new Date().toISOString(),
      };
      alerts.push(alert);
      const resend = Date.now() - lastResend > 5000;
      await postToAlertmanagers(
        stack,
        resend ? firing() : [wire(alert, new Date(Date.now() + 60_000).toISOString())],
      );
      if (resend) lastResend = Date.now();
      await sleep(options.everyMs);
    }
    // Keep them alive until resolved.
    while (!stopped) {
      await sleep(5000);
      if (!stopped) await postToAlertmanagers(stack, firing()).catch(() => undefined);
    }
  })();
  let failure: unknown;
  done.catch((err: unknown) => (failure = err));
  const sent = (async () => {
    while (alerts.length < options.count) {
      if (failure !== undefined) throw failure;
      await sleep(100);
    }
  })();
  return {
    alerts,
    done: sent,
    async resolveAll() {
      stopped = true;
      const now = new Date().toISOString();
      await postToAlertmanagers(
        stack,
        alerts.map((a) => wire(a, now)),
      );
    },
  };
}

/** How often the stream step acted on each seq, and the most steps running at once. */
export function streamLog(file: string): { acted: Map<number, number>; maxConcurrent: number } {
  const acted = new Map<number, number>();
  const events: Array<[number, number]> = [];
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n')) {
    const [seq, what, at] = line.split(' ');
    if (what === 'start') acted.set(Number(seq), (acted.get(Number(seq)) ?? 0) + 1);
    if (what === 'start' || what === 'end') events.push([Number(at), what === 'start' ? 1 : -1]);
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let maxConcurrent = 0;
  for (const [, delta] of events) maxConcurrent = Math.max(maxConcurrent, (now += delta));
  return { acted, maxConcurrent };
}
