import { errorMessage, RemediatorError } from '../errors.ts';
import type { Labels, Logger } from '../types.ts';
import { alertsQuery } from '../verify/alert-resolved.ts';
import type { AmAlert } from './page-hold-scope.ts';
import type { HoldSilence } from './page-hold-silence.ts';

/** The Alertmanager API v2 calls a page hold needs; each tries every peer in order until one answers. */
export interface PageHoldApi {
  /** Makes the silence; returns its id. */
  create(silence: HoldSilence, startsAt: Date, endsAt: Date): Promise<string>;
  /**
   * Moves the silence's end. Alertmanager updates an active silence in place when only its end
   * changes; an expired one (the hold lapsed) is made anew under a new id, which is returned.
   */
  renew(id: string, silence: HoldSilence, startsAt: Date, endsAt: Date): Promise<string>;
  /** Expires the silence now (an unknown id is already gone: not an error). */
  release(id: string): Promise<void>;
  /** The alerts Alertmanager has (any state) that carry these labels, and maybe others. */
  alerts(labels: Labels): Promise<AmAlert[]>;
}

export interface PageHoldApiOptions {
  /** Every peer of the (HA) Alertmanager; a silence made on one reaches the others by gossip. */
  readonly urls: readonly string[];
  readonly fetch: typeof fetch;
  readonly log: Logger;
  /** Per call and peer. @defaultValue 2000 */
  readonly timeoutMs?: number;
}

/** Thrown when no peer answered: the caller fails open (runs on, holds nothing). */
export function unreachable(why: string): RemediatorError {
  return new RemediatorError('E_ALERTMANAGER', `no Alertmanager peer answered: ${why}`, {
    retryable: true,
  });
}

export function createPageHoldApi(options: PageHoldApiOptions): PageHoldApi {
  const timeoutMs = options.timeoutMs ?? 2000;
  /** The first peer's answer that is not a network error or a 5xx; `accept` may take a 404/500 too. */
  const call = async (
    method: string,
    path: string,
    body: unknown,
    accept: (status: number, text: string) => boolean = () => false,
  ): Promise<string> => {
    const failures: string[] = [];
    for (const base of options.urls) {
      try {
        const res = await options.fetch(`${base}/api/v2${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.ok || accept(res.status, text)) return text;
        failures.push(`${base}: ${res.status} ${text.slice(0, 200)}`);
        // A 4xx is about the request, not the peer: another peer would refuse it too.
        if (res.status < 500) break;
      } catch (err) {
        failures.push(`${base}: ${errorMessage(err)}`);
      }
    }
    options.log.warn({ method, path, failures }, 'Alertmanager API call failed on every peer');
    throw unreachable(failures.join('; '));
  };
  const post = async (body: Record<string, unknown>, accept?: (s: number) => boolean) => {
    let notFound = false;
    const text = await call('POST', '/silences', body, (status) => (notFound = accept?.(status) ?? false));
    if (notFound) return undefined;
    const id = (json(text) as { silenceID?: unknown } | undefined)?.silenceID;
    if (typeof id !== 'string') throw unreachable(`no silenceID in ${text.slice(0, 200)}`);
    return id;
  };
  const release = async (id: string) => {
    // 0.25 answers 500 "silence not found" for an id it does not know: gone is what we wanted.
    await call(
      'DELETE',
      `/silence/${encodeURIComponent(id)}`,
      undefined,
      (status, text) => status === 404 || text.includes('not found'),
    );
  };
  const fields = (silence: HoldSilence, startsAt: Date, endsAt: Date) => ({
    matchers: silence.matchers,
    createdBy: silence.createdBy,
    comment: silence.comment,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
  });
  const create = async (silence: HoldSilence, startsAt: Date, endsAt: Date) =>
    (await post(fields(silence, startsAt, endsAt)))!;
  return {
    create,
    async renew(id, silence, startsAt, endsAt) {
      // A peer that does not know the id (it lost its state, or gossip has not reached it) answers 404:
      // the hold is made anew there, and the old id expired in case another peer still has it.
      const renewed = await post({ id, ...fields(silence, startsAt, endsAt) }, (s) => s === 404);
      if (renewed !== undefined) return renewed;
      const made = await create(silence, startsAt, endsAt);
      await release(id).catch(() => undefined);
      return made;
    },
    release,
    async alerts(labels) {
      const text = await call('GET', `/alerts?${alertsQuery(labels)}`, undefined);
      const list = json(text);
      if (!Array.isArray(list)) throw unreachable(`no list of alerts in ${text.slice(0, 200)}`);
      return list as AmAlert[];
    },
  };
}

/** A 200 that is not JSON (a proxy's login page, say) is no answer. */
function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
