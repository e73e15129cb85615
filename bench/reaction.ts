// Reaction latency measured from the outside: the bench notes when it sends each probe notification,
// the no-op target notes when the probe's step request arrives; both clocks are CLOCK_MONOTONIC.
import { runId } from '../src/ingest/run-id.ts';
import type { Child } from './lib/child.ts';
import { notification, probeLabels, STARTS_AT } from './lib/payloads.ts';

type Labels = Record<string, string>;
import { monoMs, percentile, sleep, waitUntil } from './lib/stats.ts';

export interface Endpoint {
  readonly url: string;
  readonly headers: Record<string, string>;
}

interface TargetStats {
  count: number;
  maxOpen: number;
  arrivals: Record<string, number>;
}

interface RunDoc {
  receivedAt?: string;
  startedAt?: string;
  decisions?: Array<{ at: string }>;
  steps?: Array<{ startedAt?: string }>;
}

export interface ReactionResult {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly sent: number;
  /** Probes whose step had not started when the bench stopped waiting. */
  readonly missing: number;
}

/** Sends probe notifications (2 alerts each, both actionable) and matches them with step arrivals. */
export class Prober {
  private readonly sends = new Map<string, number>();
  private readonly wallSends = new Map<string, number>();
  private readonly endpoint: Endpoint;
  private readonly target: Child;
  private readonly tag: string;
  private next: number;
  private failures = 0;
  private readonly labels: (n: number) => Labels;

  constructor(
    endpoint: Endpoint,
    target: Child,
    tag: string,
    /** First probe number: probes act on targets probe-(2k+1), probe-(2k+2), which nothing else uses. */
    first: number,
    /** The probe alerts' labels (target `probe-<n>`): by default, of the load's own runbook. */
    labels: (n: number) => Labels = probeLabels,
  ) {
    this.endpoint = endpoint;
    this.target = target;
    this.tag = tag;
    this.next = first;
    this.labels = labels;
  }

  /** One probe; resolves when the webhook has answered. */
  async send(): Promise<void> {
    const k = this.next++;
    const base = `probe${this.tag}${k}`;
    const body = notification([
      { labels: this.labels(2 * k), fingerprint: `${base}a` },
      { labels: this.labels(2 * k + 1), fingerprint: `${base}b` },
    ]);
    const sentAt = monoMs();
    this.sends.set(base, sentAt);
    this.wallSends.set(base, Date.now());
    const res = await fetch(`${this.endpoint.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.endpoint.headers },
      body,
    });
    await res.text();
    if (res.status !== 202) this.failures++;
  }

  /** Sends `count` probes one after the other, `gapMs` apart: the low-load case. */
  async sequence(count: number, gapMs: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const slot = sleep(gapMs);
      await this.send();
      await slot;
    }
  }

  /** Sends a probe every `everyMs` until the returned function is called. */
  every(everyMs: number): () => Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const timer = setInterval(() => {
      const p = this.send().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }, everyMs);
    return async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    };
  }

  /**
   * Where the time went, from remediator's run records (millisecond timestamps, so medians only): sent →
   * received (HTTP, parsing), received → first policy decision (rest of ingest, queue, worker pick-up),
   * first decision → claimed (the policy gate), claimed → step started.
   */
  async phases(url: string, runbook: string): Promise<Record<string, number>> {
    const parts: Record<string, number[]> = { received: [], picked: [], gate: [], step: [] };
    for (const [base, wall] of this.wallSends) {
      const res = await fetch(`${url}/api/v1/runs/${runId(runbook, `${base}a`, STARTS_AT)}`);
      if (res.status !== 200) continue;
      const run = (await res.json()) as RunDoc;
      const t = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));
      const gate = Math.min(...(run.decisions ?? []).map((d) => t(d.at)));
      parts['received']!.push(t(run.receivedAt) - wall);
      parts['picked']!.push(gate - t(run.receivedAt));
      parts['gate']!.push(t(run.startedAt) - gate);
      parts['step']!.push(t(run.steps?.[0]?.startedAt) - t(run.startedAt));
    }
    return Object.fromEntries(
      Object.entries(parts).map(([k, v]) => [k, percentile(v.filter(Number.isFinite), 50)]),
    );
  }

  /** Waits (up to `timeoutMs`) until every probe's first step has started, then computes the latencies. */
  async result(timeoutMs: number): Promise<ReactionResult> {
    let stats: TargetStats = { count: 0, maxOpen: 0, arrivals: {} };
    const times = (): number[] =>
      [...this.sends].map(([base, sentAt]) => {
        const first = Math.min(
          stats.arrivals[`${base}a`] ?? Infinity,
          stats.arrivals[`${base}b`] ?? Infinity,
        );
        return first - sentAt;
      });
    await waitUntil(
      async () => {
        stats = await this.target.call<TargetStats>('stats');
        return times().every(Number.isFinite);
      },
      timeoutMs,
      250,
    );
    const all = times();
    if (this.failures > 0) throw new Error(`${this.failures} probe notification(s) were not accepted`);
    return {
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      sent: all.length,
      missing: all.filter((t) => !Number.isFinite(t)).length,
    };
  }
}
