import type { AdmissionRequest } from '../stores/types.ts';
import type { RunnerDeps } from './runner-deps.ts';

/**
 * Renews a run's lock and places every third of their TTL while it acts. If a renewal fails (the
 * lock expired and someone else may hold it), the signal aborts the running step: the run must not go
 * on acting without the lock, and it ends `unknown`.
 */
export function startHeartbeat(
  deps: Pick<RunnerDeps, 'stores' | 'settings' | 'now' | 'log'>,
  admission: AdmissionRequest,
) {
  const controller = new AbortController();
  let lost = false;
  const every = Math.max(100, Math.floor(deps.settings.lockTtlMs / 3));
  const timer = setInterval(() => {
    deps.stores.admission
      .renew({ ...admission, now: deps.now().getTime() })
      .then(
        (ok) => ok,
        () => false,
      )
      .then((ok) => {
        if (ok || lost) return;
        lost = true;
        deps.log.error({ runId: admission.runId }, 'lost the target lock: aborting the running step');
        controller.abort(new Error('lost the target lock'));
      });
  }, every);
  timer.unref();
  return {
    signal: controller.signal,
    lost: () => lost,
    stop: () => clearInterval(timer),
  };
}
