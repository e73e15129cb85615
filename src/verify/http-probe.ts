import { joinUrl } from '../execute/http.ts';
import { get, type Check } from './poll.ts';
import type { VerifyDeps, VerifySpec } from './types.ts';

type HttpProbeSpec = Extract<VerifySpec, { kind: 'http' }>;

/**
 * `GET` a path under the target's base URL with the inventory's headers; passes on one of the
 * expected statuses (200 when the runbook names none). Redirects are not followed: a redirect is an
 * answer like any other, and passes only when `expect` names it. The body is not read.
 */
export function httpProbeCheck(spec: HttpProbeSpec, deps: VerifyDeps): Check {
  const target = deps.httpTarget;
  if (target === undefined) {
    return () =>
      Promise.resolve({
        ok: false,
        final: true,
        detail: 'the target has no http section in the inventory; an http check needs its baseUrl',
      });
  }
  const url = joinUrl(target.baseUrl, spec.path);
  if (url === undefined) {
    return () =>
      Promise.resolve({
        ok: false,
        final: true,
        detail: `path ${JSON.stringify(spec.path)} leaves the target's base URL`,
      });
  }
  const expect = spec.expect.length === 0 ? [200] : spec.expect;
  const request = `GET ${spec.path}`;
  return async (ctx) => {
    const answer = await get(deps.fetch, url, ctx, { headers: target.headers, readBody: false });
    if ('error' in answer)
      return { ok: false, unanswered: answer.timedOut === true, detail: `${request}: ${answer.error}` };
    return expect.includes(answer.status)
      ? { ok: true, detail: `${request} answered ${answer.status}` }
      : { ok: false, detail: `${request} answered ${answer.status}, expected ${expect.join(' or ')}` };
  };
}
