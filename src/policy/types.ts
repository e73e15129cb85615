import type { Settings } from '../config/settings.ts';
import type {
  AdmissionStore,
  ApprovalStore,
  BreakerStore,
  CooldownStore,
  StormStore,
  OccurrenceStore,
  PauseStore,
  StatsStore,
  TargetStore,
  WindowStore,
} from '../stores/types.ts';
import type { Labels, Runbook, RunRecord } from '../types.ts';

/** The stages between a match and an action, in the order they run. */
export type StageName =
  | 'resolved'
  | 'pause'
  | 'storm'
  | 'breaker'
  | 'cooldown'
  | 'approval'
  | 'admission'
  | 'rate_limit'
  | 'dry_run';

/**
 * Why a run was refused, skipped or made to wait. Stable strings: they are metric label values and
 * what `GET /api/v1/runs/:id` shows.
 */
export type PolicyReason =
  | 'resolved' // the alert resolved before the run could act
  | 'paused' // an operator pause (or an Alertmanager silence) matches
  | 'storm' // more runs of this runbook arrived in a window than its storm limit
  | 'circuit_open' // the runbook failed too often recently
  | 'cooldown' // this runbook acted on this target too recently
  | 'rate_limited' // too many runs in the window (target, runbook or global)
  | 'target_busy' // another run holds the target lock
  | 'group_busy' // the group's places for progressive healing are taken
  | 'blast_radius' // the runbook's or the global in-flight cap is reached
  | 'wait_timeout' // waited longer than maxWait for one of the above
  | 'dry_run' // everything was decided and rendered, nothing executed
  | 'awaiting_approval' // a human must approve first
  | 'approval_denied' // a human said no
  | 'approval_expired'; // nobody answered in time (and the runbook says that means no)

export interface Decision {
  readonly stage: StageName;
  readonly decision: 'allow' | 'refuse' | 'wait' | 'skip';
  readonly reason?: PolicyReason;
  readonly detail?: string;
  readonly at: string;
}

/** Refusals that page a human (the healer gave up on a firing alert); skips do not. */
export const ESCALATING: ReadonlySet<PolicyReason> = new Set([
  'storm',
  'circuit_open',
  'cooldown',
  'rate_limited',
  'wait_timeout',
  'approval_expired',
]);

export interface PolicyStores {
  readonly admission: AdmissionStore;
  readonly windows: WindowStore;
  readonly cooldowns: CooldownStore;
  readonly breakers: BreakerStore;
  readonly occurrences: OccurrenceStore;
  readonly pauses: PauseStore;
  readonly stats: StatsStore;
  readonly targets: TargetStore;
  readonly approvals: ApprovalStore;
  readonly storms: StormStore;
}

export type PolicySettings = Pick<
  Settings,
  | 'maxInFlight'
  | 'rateLimit'
  | 'stormLimit'
  | 'dryRun'
  | 'lockTtlMs'
  | 'stabilizeMs'
  | 'honourSilences'
  | 'alertmanagerUrl'
>;

/** What every stage sees: the run, its runbook, the clock, the stores. */
export interface StageContext {
  readonly run: RunRecord;
  /**
   * This attempt's holder token for locks and places (`runId/random`): a process that lost the lock
   * and a later attempt of the same run never pass for each other.
   */
  readonly owner: string;
  readonly runbook: Runbook;
  readonly now: number;
  readonly stores: PolicyStores;
  readonly settings: PolicySettings;
  /** Active Alertmanager silences' matchers, when honoured (fetched by the caller). */
  readonly silenced?: (labels: Labels) => Promise<string | undefined>;
}
