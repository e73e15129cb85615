import { errorMessage } from '../errors.ts';

/** What one poll of a check saw. */
export interface Poll {
  readonly ok: boolean;
  readonly detail: string;
  /** No later poll can change the outcome (a setting is missing), so polling stops at once. */
  readonly final?: boolean;
  /** The request's time ran out before any answer: it says nothing about the checked condition. */
  readonly unanswered?: boolean;
}

export interface PollContext {
  /** How long this poll's request may take: min(5 s, time left before the deadline). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** One kind of verification: called once per poll until it passes or the deadline passes. */
export type Check = (ctx: PollContext) => Promise<Poll>;

export type Answer =
  | { readonly status: number; readonly body: string }
  /** `timedOut`: the poll's time ran out before any answer (a refused connection is an answer of sorts). */
  | { readonly error: string; readonly timedOut?: boolean };

/**
 * GET with the poll's timeout and abort signal; never throws. Redirects are not followed: an API that
 * redirects (to a login page, say) is not the API. With `readBody: false` the body is discarded
 * unread, so a slow or endless body cannot hold the poll.
 */
export async function get(
  fetchFn: typeof fetch,
  url: string,
  ctx: PollContext,
  options: { headers?: Readonly<Record<string, string>>; readBody?: boolean } = {},
): Promise<Answer> {
  const timeout = AbortSignal.timeout(Math.max(1, ctx.timeoutMs));
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  try {
    const response = await fetchFn(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...options.headers },
      redirect: 'manual',
      signal,
    });
    if (options.readBody === false) {
      await response.body?.cancel().catch(() => {});
      return { status: response.status, body: '' };
    }
    return { status: response.status, body: await response.text() };
  } catch (err) {
    if (ctx.signal?.aborted) return { error: 'aborted' };
    if (timeout.aborted) return { error: `no answer within ${ctx.timeoutMs} ms`, timedOut: true };
    const cause = (err as { cause?: unknown }).cause;
    return { error: cause instanceof Error ? cause.message : errorMessage(err) };
  }
}

/** At most `max` characters of `text`, on one line, for a detail. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
