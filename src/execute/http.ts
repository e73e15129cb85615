import { errorMessage } from '../errors.ts';
import type { HttpTarget, StepResult } from '../types.ts';
import { excerpt, type Executors, type HttpAction } from './executor.ts';

export type Fetch = typeof fetch;

/**
 * Calls a target's HTTP API. The host always comes from the inventory's baseUrl; the runbook only
 * supplies the path. Redirects are not followed (a redirect is an unexpected status unless `expect`
 * names it). Inventory headers (credentials) win over a step's headers of the same name.
 */
export function createHttpExecutor(deps: { fetch?: Fetch } = {}): Executors['http'] {
  const doFetch = deps.fetch ?? fetch;
  return {
    async run(target: HttpTarget, action: HttpAction, signal?: AbortSignal): Promise<StepResult> {
      const url = joinUrl(target.baseUrl, action.path);
      if (!url) {
        return {
          ok: false,
          output: '',
          errorCode: 'E_HTTP',
          error: `path ${JSON.stringify(action.path)} leaves the target's base URL`,
        };
      }
      const timeout = AbortSignal.timeout(action.timeoutMs);
      const headers: Record<string, string> = { ...action.headers, ...target.headers };
      if (action.body !== undefined) headers['content-type'] ??= 'application/json';
      let response: Response;
      let body: string;
      try {
        response = await doFetch(url, {
          method: action.method,
          headers,
          redirect: 'manual',
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          ...(action.body === undefined ? {} : { body: JSON.stringify(action.body) }),
        });
        body = await response.text();
      } catch (err) {
        if (timeout.aborted) {
          return {
            ok: false,
            output: '',
            errorCode: 'E_TIMEOUT',
            error: `no complete answer within ${action.timeoutMs} ms`,
          };
        }
        const cause = (err as { cause?: unknown }).cause;
        const detail = cause instanceof Error ? cause.message : errorMessage(err);
        return {
          ok: false,
          output: '',
          errorCode: 'E_HTTP',
          error: `${action.method} ${redact(url)}: ${detail}`,
        };
      }
      const ok =
        action.expect.length === 0
          ? response.status >= 200 && response.status < 300
          : action.expect.includes(response.status);
      const expected = action.expect.length === 0 ? '2xx' : action.expect.join(' or ');
      return {
        ok,
        httpStatus: response.status,
        output: excerpt(body),
        ...(ok
          ? {}
          : {
              errorCode: 'E_STATUS',
              error: `${action.method} ${redact(url)} answered ${response.status}, expected ${expected}`,
            }),
      };
    },
  };
}

/** baseUrl + path, or undefined when the result would point anywhere but under baseUrl. */
export function joinUrl(baseUrl: string, path: string): string | undefined {
  if (!path.startsWith('/') || path.startsWith('//')) return undefined;
  let base: URL;
  let url: URL;
  try {
    base = new URL(baseUrl);
    url = new URL(baseUrl.replace(/\/+$/, '') + path);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin) return undefined;
  const basePath = base.pathname.replace(/\/+$/, '');
  if (basePath !== '' && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`))
    return undefined;
  return url.toString();
}

/** A URL fit for run records and logs: without user:password. */
function redact(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}
