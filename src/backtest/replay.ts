import { occurrenceId } from '../ingest/occurrence.ts';
import { planRuns, type Candidate } from '../ingest/plan.ts';
import { RESOLVED_TTL_MS } from '../ingest/resolved.ts';
import { buildRunbookIndex } from '../match/select.ts';
import { applyRunEnd } from '../policy/after-run.ts';
import { renewEvery } from '../execute/heartbeat.ts';
import { admissionRequest, attemptOwner, nextPoll, waitingSince } from '../policy/admission-stage.ts';
import { gate, type GateResult } from '../policy/gate.ts';
import { policyKeys } from '../policy/keys.ts';
import type { PolicySettings, PolicyStores } from '../policy/types.ts';
import { createMemoryPolicyStores } from '../stores/memory-policy-stores.ts';
import type { AdmissionRequest, Pause } from '../stores/types.ts';
import type { Alert, Runbook, RunRecord } from '../types.ts';
import { alertOf, approvedNow, iso, newRun } from './replay-records.ts';
import { EventQueue } from './event-queue.ts';
import { Parking } from './parking.ts';
import type { Occurrence } from './history.ts';
import { runOutcome, type OutcomeModel } from './outcome-model.ts';
import { wouldHoldPage } from './pages.ts';
import { Ledger, type ReplayResult } from './ledger.ts';
import { bump } from './tally.ts';

export interface ReplayOptions {
  readonly runbooks: readonly Runbook[];
  readonly settings: PolicySettings;
  /** REMEDIATOR_PAGE_HOLD: whether runbooks that say nothing hold the page. @defaultValue false */
  readonly pageHold?: boolean;
  readonly outcome: OutcomeModel;
  readonly from: number;
  readonly to: number;
  /** Targets known to the inventory; without it every target counts as known. */
  readonly inventory?: { has(name: string): boolean };
  /** Pauses given on the command line. */
  readonly pauses?: readonly Pause[];
  /** Sees every gate answer (for tests, and anyone who wants the decisions themselves). */
  readonly observe?: (run: RunRecord, result: GateResult) => void;
}

export type { ReplayResult } from './ledger.ts';

interface Running {
  readonly run: RunRecord;
  readonly runbook: Runbook;
  readonly admission: AdmissionRequest;
  readonly trial: boolean;
  readonly status: 'succeeded' | 'failed';
  readonly held: boolean;
}

interface Attempt {
  kind: 'attempt';
  run: RunRecord;
  runbook: Runbook;
  alertEnd: number | undefined;
  waited: boolean;
  /** Only the run's latest scheduled attempt counts (a woken run's deadline check is void). */
  gen?: number;
}

type Event =
  | { kind: 'resolve'; occurrence: Occurrence }
  | Attempt
  | { kind: 'renew'; running: Running; until: number }
  | { kind: 'end'; running: Running };

/**
 * Replays alert occurrences, in time order, through the service's own matching (planRuns and the
 * runbook index) and policy gate, on a virtual clock and in-memory stores. Runs that wait are asked
 * again at the time the gate gives, as the queue does; a run that acts holds its places (renewed as the
 * worker's heartbeat does) until the outcome model ends it, and then applyRunEnd does what finishRun
 * does to the policy state.
 */
export async function replay(
  occurrences: readonly Occurrence[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const state = new Replay(options);
  await state.seedPauses(options.pauses ?? []);
  let next = 0;
  for (;;) {
    const fire = occurrences[next];
    if (fire !== undefined && fire.startsAt <= state.queue.peekTime()) {
      next++;
      state.now = Math.max(state.now, fire.startsAt);
      state.fire(fire);
      continue;
    }
    const event = state.queue.pop();
    if (event === undefined) break;
    state.now = Math.max(state.now, event.at);
    await state.handle(event.event);
  }
  return state.ledger.result(occurrences.length);
}

class Replay {
  now = 0;
  readonly queue = new EventQueue<Event>();
  private readonly stores: PolicyStores;
  private readonly index;
  readonly ledger: Ledger;
  private readonly parking = new Parking<Attempt>();
  private readonly gens = new Map<string, number>();

  private readonly options: ReplayOptions;

  constructor(options: ReplayOptions) {
    this.options = options;
    this.stores = createMemoryPolicyStores(() => this.now);
    this.index = buildRunbookIndex(options.runbooks);
    this.ledger = new Ledger(
      options.runbooks.map((rb) => rb.name),
      options.from,
      options.to,
    );
  }

  async seedPauses(pauses: readonly Pause[]): Promise<void> {
    for (const p of pauses) await this.stores.pauses.create(p);
  }

  fire(occurrence: Occurrence): void {
    this.plan(alertOf(occurrence, 'firing'), occurrence.endsAt);
    if (occurrence.endsAt !== undefined) this.queue.push(occurrence.endsAt, { kind: 'resolve', occurrence });
  }

  async handle(event: Event): Promise<void> {
    if (event.kind === 'attempt') {
      if (event.gen !== this.gens.get(event.run.id)) return;
      this.parking.take(event.run.id);
      return this.attempt(event);
    }
    if (event.kind === 'end') return this.end(event.running);
    if (event.kind === 'renew') return this.renew(event.running, event.until);
    const { occurrence } = event;
    // As the webhook does with a resolved notification: remember it, then plan `on: resolved` runbooks.
    await this.stores.occurrences.markResolved(
      [occurrenceId(occurrence.fingerprint, iso(occurrence.startsAt))],
      RESOLVED_TTL_MS,
    );
    this.wake('occurrence', [occurrenceId(occurrence.fingerprint, iso(occurrence.startsAt))]);
    this.plan(alertOf(occurrence, 'resolved'), occurrence.endsAt);
  }

  private schedule(at: number, attempt: Attempt): void {
    const gen = (this.gens.get(attempt.run.id) ?? 0) + 1;
    this.gens.set(attempt.run.id, gen);
    this.queue.push(at, { ...attempt, gen });
  }

  /** Parked runs woken by a change poll again at the worker's pace. */
  private wake(kind: 'key' | 'runbook' | 'occurrence', values: readonly string[]): void {
    for (const attempt of this.parking.wake(kind, values)) this.schedule(nextPoll(this.now), attempt);
  }

  /** A run waiting for a place sleeps until the place is given back, or until its maxWait deadline. */
  private async wait(e: Attempt, retryAt: number): Promise<void> {
    const { run, runbook } = e;
    // Business hours may change an approval's answer with no event at all: such runs keep polling.
    const request = admissionRequest(run, runbook, this.options.settings, this.now, `${run.id}/peek`);
    const peek = runbook.approval ? { ok: true as const } : await this.stores.admission.peek(request);
    if (peek.ok) return this.schedule(retryAt, e);
    const occurrence = occurrenceId(run.alert.fingerprint, run.alert.startsAt);
    this.parking.park(run.id, { key: peek.blocked, runbook: runbook.name, occurrence }, e);
    this.schedule(Math.max(retryAt, waitingSince(run) + runbook.policy.maxWaitMs), e);
  }

  private plan(alert: Alert, alertEnd: number | undefined): void {
    for (const c of planRuns([alert], this.index)) {
      const tally = this.ledger.tally(c.runbook.name);
      tally.matched++;
      const target = this.targetOf(c);
      if (!target.ok) {
        bump(tally.errors, target.code);
        continue;
      }
      const run = newRun(c, target.name, this.now);
      this.schedule(this.now, { kind: 'attempt', run, runbook: c.runbook, alertEnd, waited: false });
    }
  }

  private targetOf(c: Candidate): { ok: true; name: string } | { ok: false; code: string } {
    if (!c.target.ok) return c.target;
    if (this.options.inventory && !this.options.inventory.has(c.target.name))
      return { ok: false, code: 'E_UNKNOWN_TARGET' };
    return c.target;
  }

  private async attempt(e: Extract<Event, { kind: 'attempt' }>): Promise<void> {
    const { run, runbook } = e;
    const tally = this.ledger.tally(runbook.name);
    const ctx = {
      run,
      runbook,
      now: this.now,
      owner: attemptOwner(run.id),
      stores: this.stores,
      settings: this.options.settings,
    };
    // Evaluated as if switched on: a runbook's or the service's dry-run setting is what is being replaced.
    const result = await gate(ctx, false);
    this.options.observe?.(run, result);
    if (result.kind === 'wait') {
      if (!e.waited) bump(tally.waited, result.decisions.at(-1)?.reason ?? 'wait');
      await this.wait({ ...e, waited: true }, result.retryAt);
    } else if (result.kind === 'approval') {
      // Counted as "would ask", then assumed approved at once, so the rest of the policy still applies.
      tally.wouldAsk++;
      run.approvals = [approvedNow(run, this.now, result.why)];
      this.schedule(this.now, e);
    } else if (result.kind === 'stop') {
      this.gens.delete(run.id);
      this.ledger.stopped(runbook.name, result.decision.reason ?? 'refused', result.escalate, this.now);
    } else {
      this.gens.delete(run.id);
      this.start({ run, runbook, admission: result.admission, trial: result.trial }, e.alertEnd);
    }
  }

  private start(
    go: Pick<Running, 'run' | 'runbook' | 'admission' | 'trial'>,
    alertEnd: number | undefined,
  ): void {
    const { runbook, run } = go;
    const outcome = runOutcome(this.options.outcome, runbook, this.now, alertEnd);
    const running: Running = {
      ...go,
      status: outcome.status,
      held: wouldHoldPage(runbook, this.options.pageHold ?? false),
    };
    this.ledger.started(runbook.name, run.target, running.held, this.now);
    this.queue.push(outcome.endsAt, { kind: 'end', running });
    this.scheduleRenew(running, outcome.endsAt);
  }

  /** The worker's heartbeat renews a run's places while it acts; so does the replay, as often. */
  private scheduleRenew(running: Running, until: number): void {
    const every = renewEvery(this.options.settings.lockTtlMs);
    if (this.now + every < until) this.queue.push(this.now + every, { kind: 'renew', running, until });
  }

  private async renew(running: Running, until: number): Promise<void> {
    await this.stores.admission.renew({ ...running.admission, now: this.now });
    this.scheduleRenew(running, until);
  }

  private async end(running: Running): Promise<void> {
    const { runbook, run, status } = running;
    const key = policyKeys.breaker(runbook.name);
    const before = await this.stores.breakers.state(key, runbook.policy.breaker, this.now);
    const admission = { ...running.admission, now: this.now };
    const after = await applyRunEnd(
      this.stores,
      runbook,
      run.target,
      { status, acted: true, trial: running.trial, admission },
      this.now,
    );
    const opened = after === 'open' && before !== 'open';
    this.ledger.ended(runbook.name, status, running.held, opened);
    if (opened) this.wake('runbook', [runbook.name]);
    this.wake('key', [...admission.slots.map((slot) => slot.key), admission.lock.key]);
  }
}
