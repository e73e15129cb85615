import { errorMessage } from '../errors.ts';
import { alertResolvedCheck } from './alert-resolved.ts';
import { httpProbeCheck } from './http-probe.ts';
import type { Check, Poll } from './poll.ts';
import { promqlCheck } from './promql.ts';
import type { VerifyDeps, VerifyResult, VerifySpec } from './types.ts';

/** A single request never waits longer than this, however far away the deadline is. */
const MAX_REQUEST_MS = 5000;
/**
 * The last poll happens at the deadline; it still gets this long to answer, so a check that passes
 * just in time is not lost to a zero timeout.
 */
const MIN_REQUEST_MS = 100;

/**
 * Polls the check of `spec` every `deps.intervalMs` until it passes or `spec.withinMs` has passed.
 * Never throws: a failed request, a refused connection or a store error is a failed poll whose detail
 * is kept; the result carries the last one. Stops early, failed, when `deps.signal` aborts.
 */
export async function verify(spec: VerifySpec, deps: VerifyDeps): Promise<VerifyResult> {
  const start = deps.now();
  const deadline = start + spec.withinMs;
  const intervalMs = deps.intervalMs ?? 1000;
  const check = checkFor(spec, deps);
  const done = (ok: boolean, detail: string): VerifyResult => ({
    ok,
    detail,
    elapsedMs: deps.now() - start,
  });
  let last: string | undefined;
  // What the last answered poll said: the final poll at the deadline has only what time is left
  // (at least MIN_REQUEST_MS), and its timing out must not hide an answer that says why the check failed.
  let answered: string | undefined;
  const failed = (poll: Poll) =>
    done(
      false,
      poll.unanswered && answered !== undefined ? `${answered}; last check: ${poll.detail}` : poll.detail,
    );
  for (;;) {
    if (deps.signal?.aborted) return done(false, aborted(last));
    const timeoutMs = Math.max(MIN_REQUEST_MS, Math.min(MAX_REQUEST_MS, deadline - deps.now()));
    const poll = await pollOnce(check, timeoutMs, deps.signal);
    if (poll.ok) return done(true, poll.detail);
    if (deps.signal?.aborted) return done(false, aborted(last));
    last = poll.detail;
    if (!poll.unanswered) answered = poll.detail;
    if (poll.final) return failed(poll);
    const remaining = deadline - deps.now();
    if (remaining <= 0) return failed(poll);
    try {
      await deps.sleep(Math.min(intervalMs, remaining), deps.signal);
    } catch {
      // A sleep cut short by the signal; the loop's check reports it.
    }
  }
}

function checkFor(spec: VerifySpec, deps: VerifyDeps): Check {
  switch (spec.kind) {
    case 'alertResolved':
      return alertResolvedCheck(deps);
    case 'promql':
      return promqlCheck(spec, deps);
    case 'http':
      return httpProbeCheck(spec, deps);
  }
}

async function pollOnce(check: Check, timeoutMs: number, signal: AbortSignal | undefined): Promise<Poll> {
  try {
    return await check(signal ? { timeoutMs, signal } : { timeoutMs });
  } catch (err) {
    // Checks report network trouble themselves; this catches the rest (a store that lost Redis).
    return { ok: false, detail: `check failed: ${errorMessage(err)}` };
  }
}

function aborted(last: string | undefined): string {
  return last === undefined ? 'aborted before any check finished' : `aborted; last check: ${last}`;
}
