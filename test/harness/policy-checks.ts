import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload, type AlertInput } from './payloads.ts';
import type { TestService } from './service.ts';

export type RunDecision = NonNullable<RunRecord['decisions']>[number];

/** The value of one sample in a /metrics text, e.g. `metricValue(text, 'x_total{a="b"}')`; 0 if absent. */
export function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The decisions of a run that were not `allow`. */
export function refusals(run: RunRecord): RunDecision[] {
  return (run.decisions ?? []).filter((d) => d.decision !== 'allow');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts one firing alert to a service's webhook (expects 202) and returns the alert and its run id. */
export async function fire(svc: TestService, runbook: string, alert: AlertInput) {
  const body = payload([alert]);
  const res = await svc.post('/hooks/alertmanager', body);
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  const sent = body.alerts[0]!;
  return { alert: sent, id: runId(runbook, sent.fingerprint, sent.startsAt) };
}

/** Polls a run until `ready` holds for its record (bounded). */
export async function waitForRecord(
  svc: TestService,
  id: string,
  ready: (run: RunRecord) => boolean,
  timeoutMs = 10_000,
): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await svc.get(`/api/v1/runs/${id}`);
    if (res.status === 200) {
      const run = (await res.json()) as RunRecord;
      if (ready(run)) return run;
    }
    if (Date.now() > deadline) throw new Error(`run ${id}: condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** An inventory of HTTP targets: base URL -> the names of the targets served there. */
export function httpInventory(byBaseUrl: Readonly<Record<string, readonly string[]>>): string {
  const lines = Object.entries(byBaseUrl).flatMap(([url, names]) =>
    names.map((n) => `  ${n}: { http: { baseUrl: "${url}" } }`),
  );
  return `targets:\n${lines.join('\n')}\n`;
}
