/**
 * The Redis side of stateful policy, behind small interfaces. Every operation that reads and then
 * changes state is atomic (one Lua script), so the decisions hold across every remediator process
 * sharing the Redis. Times are milliseconds since the epoch and always passed in (`now`), never read
 * from Redis' clock, so tests can drive them.
 */

/** Exclusive per-target lock with an owner token, a TTL and a fencing number. */
export interface LockStore {
  /** Takes the lock if free (or expired). The fencing number grows by one on every successful take. */
  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    now: number,
  ): Promise<{ ok: true; fence: number } | { ok: false; holder: string }>;
  /** Extends the lock only while `owner` still holds it. */
  renew(key: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Releases only while `owner` holds it. */
  release(key: string, owner: string): Promise<boolean>;
}

/** What a run needs at once before it may act: all granted together, or none. */
export interface AdmissionRequest {
  readonly runId: string;
  readonly now: number;
  /** How long a grant lives without renewal (a crashed holder frees its places after this). */
  readonly ttlMs: number;
  /** Counting semaphores: at most `limit` holders of `key` at once (global, per runbook, per group). */
  readonly slots: readonly { readonly key: string; readonly limit: number }[];
  /** The per-target lock. */
  readonly lock: { readonly key: string };
  /**
   * Park this run (its id, first-come order by `score`) on the place that refuses it, to be woken
   * when that place is freed; absent: refuse without parking.
   */
  readonly waiter?: { readonly id: string; readonly score: number };
}

export type AdmissionResult =
  | { ok: true; fence: number }
  /** `blocked` names the first slot key (or the lock key) that was full. */
  | { ok: false; blocked: string };

export interface AdmissionStore {
  acquire(request: AdmissionRequest): Promise<AdmissionResult>;
  /** Extends every place `runId` holds; false if any was lost (expired and taken by another). */
  renew(request: AdmissionRequest): Promise<boolean>;
  release(request: Pick<AdmissionRequest, 'runId' | 'slots' | 'lock'>): Promise<void>;
  /** Wakes the first waiter of every place someone waits for (a safety net for lost wake-ups). */
  sweep(): Promise<void>;
  /** Whether the run was woken (and the mark is now used up): a wake-up that came while it parked. */
  wokenWhileParking(runId: string): Promise<boolean>;
  /** Would acquire succeed now? Read only and not atomic: for `remediator test`, never for decisions. */
  peek(request: AdmissionRequest): Promise<{ ok: true } | { ok: false; blocked: string }>;
  /** How many hold each counting place now (read only: for approval conditions and views). */
  usage(
    slots: AdmissionRequest['slots'],
    now: number,
  ): Promise<Array<{ key: string; used: number; limit: number }>>;
}

/** One run reaching the gate, for the storm guard. */
export interface StormArrival {
  readonly runbook: string;
  readonly runId: string;
  readonly target: string;
  /** When the run's alert arrived (ms): the window it counts in. */
  readonly receivedAt: number;
  readonly limit: number;
  readonly windowMs: number;
}

/** The storm guard's counts: runs of one runbook arriving per window, beyond a limit. */
export interface StormStore {
  /**
   * Counts the run in its window: within the limit (or admitted before) it is not excess; otherwise
   * it is, with the window's arrivals so far, whether it is the storm's one run to page, and the
   * targets seen (the first few, and how many distinct).
   */
  arrive(
    a: StormArrival,
  ): Promise<
    | { excess: false }
    | { excess: true; arrivals: number; pages: boolean; targets: string[]; distinctTargets: number }
  >;
  /** Arrivals so far in the window `a` falls in, and whether a storm is on: read only, for `remediator test`. */
  peek(
    a: Pick<StormArrival, 'runbook' | 'receivedAt' | 'windowMs'>,
  ): Promise<{ arrivals: number; storm: boolean }>;
}

/** Sliding-window counters: N events per window. */
export interface WindowStore {
  /**
   * Adds one event at `now` to every window, only if none of them is full (all-or-nothing).
   * Returns the first full window's key when refused.
   */
  take(
    windows: readonly { key: string; limit: number; windowMs: number }[],
    now: number,
  ): Promise<{ ok: true } | { ok: false; full: string }>;
  /** Events in each window at `now`, read only (for `remediator test`). */
  count(windows: readonly { key: string; windowMs: number }[], now: number): Promise<number[]>;
}

export interface CooldownStore {
  /** Starts (or restarts) a cooldown that ends at now + ms. */
  start(key: string, ms: number, now: number): Promise<void>;
  /** When the cooldown ends, if it is running at `now`. */
  until(key: string, now: number): Promise<number | undefined>;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  readonly failures: number;
  readonly withinMs: number;
  readonly coolOffMs: number;
}

export interface BreakerStore {
  /**
   * Asks to start a run. Closed: allowed. Open before the cool-off ends: refused. Open after it:
   * half-open, and exactly one caller gets the trial (`trial: true`); the others are refused until the
   * trial's outcome is recorded.
   */
  admit(
    key: string,
    options: BreakerOptions,
    now: number,
  ): Promise<{ ok: boolean; state: BreakerState; trial: boolean; retryAt?: number }>;
  /** Records a run's outcome: a failure may open the breaker; the trial's success closes it, its failure re-opens it. */
  record(
    key: string,
    outcome: 'success' | 'failure',
    options: BreakerOptions,
    now: number,
    trial: boolean,
  ): Promise<BreakerState>;
  state(key: string, options: BreakerOptions, now: number): Promise<BreakerState>;
}

/** Alert occurrences Alertmanager said were resolved. */
export interface OccurrenceStore {
  markResolved(occurrences: readonly string[], ttlMs: number): Promise<void>;
  /** Which of these occurrences are resolved (same order). */
  areResolved(occurrences: readonly string[]): Promise<boolean[]>;
}

export interface Pause {
  readonly id: string;
  /** Alertmanager matcher texts; empty = everything. */
  readonly matchers: readonly string[];
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface PauseStore {
  create(pause: Pause): Promise<void>;
  /** Pauses that have not expired at `now`. */
  active(now: number): Promise<Pause[]>;
  /** Ends a pause now (it stays listed as expired until cleaned); false if unknown. */
  expire(id: string, now: number): Promise<boolean>;
  list(): Promise<Pause[]>;
}

/** Healing memory: how often each step of a runbook worked, per alertname. */
export interface StatsStore {
  record(runbook: string, alertname: string, step: string, success: boolean): Promise<void>;
  /** step -> { attempts, successes } for one runbook and alertname. */
  get(runbook: string, alertname: string): Promise<Record<string, { attempts: number; successes: number }>>;
  /** Everything, for metrics: one entry per (runbook, alertname, step). */
  all(): Promise<
    Array<{ runbook: string; alertname: string; step: string; attempts: number; successes: number }>
  >;
}

export type TargetState = 'healthy' | 'degraded' | 'failing' | 'recovering' | 'stabilizing';

export interface TargetRecord {
  readonly state: TargetState;
  readonly since: string;
  /** Firing alert occurrences on the target. */
  readonly firing: number;
  readonly lastRun?: string;
}

export interface TargetStore {
  /** Adds (firing) or removes (resolved) an alert occurrence on a target; returns how many fire now. */
  alert(target: string, occurrence: string, firing: boolean): Promise<number>;
  /** The same for many at once, in one round trip: for each, whether the set changed and how many fire now. */
  alerts(
    events: readonly { target: string; occurrence: string; firing: boolean }[],
  ): Promise<Array<{ changed: boolean; firing: number }>>;
  /** The record and its version (0 when there is none yet). */
  get(target: string): Promise<{ record?: TargetRecord; version: number }>;
  /** Writes only if the version is still `version` (then it becomes version + 1). */
  compareAndSet(target: string, version: number, record: TargetRecord): Promise<boolean>;
  all(): Promise<Map<string, TargetRecord>>;
}

/** Approval requests waiting for an answer, and which approval-link secret processes sign with. */
export interface ApprovalStore {
  add(runId: string, requestedAt: number): Promise<void>;
  remove(runId: string): Promise<void>;
  /** How many wait, and how long the oldest has waited (0 when none). */
  pending(now: number): Promise<{ count: number; oldestMs: number }>;
  /**
   * Records `id` (a fingerprint of this process's link secret, never the secret) and returns the one
   * recorded before, so a process can tell that another signs links with a different secret. Also
   * deletes the secret earlier versions kept in Redis, where anyone reading Redis could mint links.
   */
  swapSecretId(id: string): Promise<string | null>;
}
