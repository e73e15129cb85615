import type { AdmissionRequest } from '../stores/types.ts';
import type { RunnerDeps } from './runner-deps.ts';

/**
 * Renews a run's lock and places every fifth of their TTL while it acts. If a renewal fails (the
 * lock expired and someone else may hold it), the signal aborts the running step: the run must not go
 * on acting without the lock, and it ends `unknown`.
 */
export function startHeartbeat(
  deps: Pick<RunnerDeps, 'stores' | 'settings' | 'now' | 'log'>,
  admission: AdmissionRequest,
  /** Called after each renewal that kept the lock: the run is alive and still ours. */
  onBeat?: () => void,
) {
  const controller = new AbortController();
  let lost = false;
  let lastRenewed = deps.now().getTime();
  const every = renewEvery(deps.settings.lockTtlMs);
  const lose = (why: string) => {
    if (lost) return;
    lost = true;
    deps.log.error({ runId: admission.runId, why }, 'lost the target lock: aborting the running step');
    controller.abort(new Error(`lost the target lock: ${why}`));
  };
  const timer = setInterval(() => {
    const now = deps.now().getTime();
    deps.stores.admission.renew({ ...admission, now }).then(
      (ok) => {
        if (ok) {
          lastRenewed = now;
          onBeat?.();
        } else lose('another holder has it (or it expired)');
      },
      // A Redis blip is not a lost lock while the lease still runs; a whole TTL without renewal is.
      () => {
        if (now - lastRenewed >= deps.settings.lockTtlMs) lose('no renewal for a whole lock TTL');
      },
    );
  }, every);
  timer.unref();
  return {
    signal: controller.signal,
    lost: () => lost,
    stop: () => clearInterval(timer),
  };
}

/**
 * How often a lease of `ttlMs` is renewed, for target locks and places here and for BullMQ's job
 * locks (src/queue/worker.ts): five times per lifetime, so only a pause of about 4/5 of it loses one.
 */
export function renewEvery(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 5));
}
