import type { ApprovalNotifier } from '../record/approval-notify.ts';
import type { Metrics } from '../record/metrics.ts';
import type { Redact } from '../record/redact.ts';
import type { DeliveryResult, Escalation } from '../record/escalate.ts';
import type { RunStore } from '../record/runs-store.ts';
import type { PolicySettings, PolicyStores } from '../policy/types.ts';
import type { Inventory, Labels, Logger, Runbook } from '../types.ts';
import type { VerifyDeps, VerifyResult, VerifySpec } from '../verify/types.ts';
import type { Executors } from './executor.ts';
import type { PageHoldDeps } from './page-hold.ts';

/** Everything the runner touches, passed in (production defaults are built in main.ts). */
export interface RunnerDeps {
  readonly store: RunStore;
  readonly runbooks: ReadonlyMap<string, Runbook>;
  readonly inventory: Inventory;
  readonly executors: Executors;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now: () => Date;
  readonly stores: PolicyStores;
  readonly settings: PolicySettings & { readonly prometheusUrl?: string; readonly publicUrl?: string } & {
    readonly pageHold: boolean;
    readonly pageHoldLapseMs: number;
    readonly pageHoldKeepForApproval: boolean;
  };
  readonly verify: (spec: VerifySpec, deps: VerifyDeps) => Promise<VerifyResult>;
  readonly escalate: (escalation: Escalation) => Promise<DeliveryResult[]>;
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Names the Alertmanager silence that matches these labels, when silences are honoured. */
  readonly silenced?: (labels: Labels) => Promise<string | undefined>;
  /**
   * Resolves once enough Redis replicas have this worker's writes so far (REMEDIATOR_REDIS_MIN_REPLICAS);
   * throws otherwise. Absent: the primary's acknowledgement is enough.
   */
  readonly confirmReplicated?: () => Promise<void>;
  /**
   * Replaces configured secret values in what targets send back (step output and errors), before it
   * is recorded or logged. @defaultValue no redaction (main.ts builds one from settings and inventory)
   */
  readonly redact?: Redact;
  /** Holds the human page while runs heal (absent: no Alertmanager URL, nothing is held). */
  readonly pageHold?: PageHoldDeps;
  /** Tells the approval webhooks a run waits for a human (absent: no webhook, only the API and console). */
  readonly approvals?: ApprovalNotifier;
}
