import type { HttpTarget } from '../types.ts';
import type { OccurrenceStore } from '../stores/types.ts';

/** A step's `verify` block, rendered: how to tell that the step fixed the problem. */
export type VerifySpec =
  /** The alert occurrence resolves (a later notification says so, or Alertmanager no longer lists it). */
  | { readonly kind: 'alertResolved'; readonly withinMs: number }
  /** A PromQL query against Prometheus returns no series (`expect: empty`) or 1 (`expect: true`). */
  | {
      readonly kind: 'promql';
      readonly query: string;
      readonly expect: 'empty' | 'true';
      readonly withinMs: number;
    }
  /** An HTTP probe on the target's base URL answers one of the expected statuses. */
  | {
      readonly kind: 'http';
      readonly path: string;
      readonly expect: readonly number[];
      readonly withinMs: number;
    };

export interface VerifyResult {
  readonly ok: boolean;
  /** What was seen last, for the run record (e.g. "query returned 2 series", "GET /healthz answered 503"). */
  readonly detail: string;
  readonly elapsedMs: number;
}

export interface VerifyDeps {
  readonly occurrences: OccurrenceStore;
  /** The run's alert: its occurrence id (see ingest/occurrence.ts), fingerprint and labels. */
  readonly alert: {
    readonly occurrence: string;
    readonly fingerprint: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  /** Base URL of Alertmanager's API (optional: asked whether the alert is still active). */
  readonly alertmanagerUrl?: string;
  /** Base URL of Prometheus (needed by promql checks). */
  readonly prometheusUrl?: string;
  /** The target's HTTP section from the inventory (needed by http probes). */
  readonly httpTarget?: HttpTarget;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Poll interval. @defaultValue 1000 */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}
