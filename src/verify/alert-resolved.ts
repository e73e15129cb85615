import { errorMessage } from '../errors.ts';
import { joinUrl } from '../execute/http.ts';
import { excerpt, get, type Answer, type Check, type Poll } from './poll.ts';
import type { VerifyDeps } from './types.ts';

/** Label names every Alertmanager version accepts unquoted in a matcher. */
const CLASSIC_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Passes once the run's alert occurrence is resolved: a resolved notification reached the webhook
 * (the occurrence store says so) or, when an Alertmanager URL is set, Alertmanager's API no longer
 * lists an alert with this fingerprint, active, silenced or inhibited alike. An Alertmanager that
 * cannot be asked proves nothing, so that is a failed poll.
 */
export function alertResolvedCheck(deps: VerifyDeps): Check {
  const { occurrence, fingerprint, labels } = deps.alert;
  const apiUrl = deps.alertmanagerUrl === undefined ? undefined : alertsUrl(deps.alertmanagerUrl, labels);
  return async (ctx) => {
    let notified: string;
    try {
      const [resolved] = await deps.occurrences.areResolved([occurrence]);
      if (resolved === true) return { ok: true, detail: 'Alertmanager sent a resolved notification' };
      notified = 'no resolved notification yet';
    } catch (err) {
      notified = `cannot read resolved occurrences: ${errorMessage(err)}`;
    }
    if (deps.alertmanagerUrl === undefined) return { ok: false, detail: notified };
    if (apiUrl === undefined) {
      return {
        ok: false,
        detail: `${notified}; Alertmanager URL ${deps.alertmanagerUrl} is not a valid URL`,
      };
    }
    const api = alertmanagerSays(await get(deps.fetch, apiUrl, ctx), fingerprint);
    return api.ok
      ? api
      : { ok: false, ...(api.unanswered ? { unanswered: true } : {}), detail: `${notified}; ${api.detail}` };
  };
}

/**
 * `GET {base}/api/v2/alerts` for every state an alert can be in while Alertmanager still holds it,
 * narrowed by one `label="value"` matcher per label. The filters only keep the answer small: the
 * fingerprint decides. A label whose name older Alertmanagers cannot parse unquoted is left out of
 * the filter rather than risk a 400.
 */
export function alertsUrl(baseUrl: string, labels: Readonly<Record<string, string>>): string | undefined {
  const url = joinUrl(baseUrl, '/api/v2/alerts');
  if (url === undefined) return undefined;
  return `${url}?${alertsQuery(labels)}`;
}

/** The query string of alertsUrl: every state, one `filter` per label with a classic name. */
export function alertsQuery(labels: Readonly<Record<string, string>>): string {
  const query = ['active=true', 'silenced=true', 'inhibited=true'];
  for (const name of Object.keys(labels).sort()) {
    if (!CLASSIC_LABEL_NAME.test(name)) continue;
    query.push(`filter=${encodeURIComponent(`${name}="${escapeMatcherValue(labels[name] ?? '')}"`)}`);
  }
  return query.join('&');
}

/** Alertmanager's escaping inside a double-quoted matcher value. */
function escapeMatcherValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function alertmanagerSays(answer: Answer, fingerprint: string): Poll {
  if ('error' in answer)
    return {
      ok: false,
      unanswered: answer.timedOut === true,
      detail: `Alertmanager API unreachable: ${answer.error}`,
    };
  if (answer.status !== 200) {
    return { ok: false, detail: `Alertmanager API answered ${answer.status}: ${excerpt(answer.body)}` };
  }
  let alerts: unknown;
  try {
    alerts = JSON.parse(answer.body);
  } catch {
    alerts = undefined;
  }
  if (!Array.isArray(alerts)) {
    return {
      ok: false,
      detail: `Alertmanager API answered something other than a list of alerts: ${excerpt(answer.body)}`,
    };
  }
  const found = alerts.find(
    (a: unknown) => (a as { fingerprint?: unknown } | null)?.fingerprint === fingerprint,
  ) as { status?: { state?: unknown } } | undefined;
  if (found === undefined) return { ok: true, detail: 'Alertmanager no longer lists the alert' };
  const state = typeof found.status?.state === 'string' ? ` (${found.status.state})` : '';
  return { ok: false, detail: `Alertmanager still lists the alert${state}` };
}
