import type { Labels } from '../types.ts';

/** An alert as Alertmanager's `GET /api/v2/alerts` lists it, as far as the scope check reads it. */
export interface AmAlert {
  readonly fingerprint?: unknown;
  readonly labels?: unknown;
}

/** Why a silence on an alert's labels may not be made (or kept): `absent` or `shared`. */
export type HoldScope = { ok: true } | { ok: false; reason: 'absent' | 'shared'; why: string };

/**
 * May a silence with one equality matcher per label of this alert be made? Alertmanager's matchers
 * select every alert that has these labels, whatever else it has: a poster who leaves a label out
 * (an alert sent straight to Alertmanager's open API, or a forged webhook call) would silence each
 * real alert with a superset of them. So the silence is made only when Alertmanager itself has this
 * alert (same fingerprint, exactly these labels) and no other alert it has would be silenced with it.
 */
export function holdScope(alerts: readonly AmAlert[], labels: Labels, fingerprint: string): HoldScope {
  const names = Object.keys(labels);
  const covered = alerts.filter((a) => {
    const theirs = labelsOf(a);
    // A matcher `name=""` selects alerts without that label, as Alertmanager reads it.
    return theirs !== undefined && names.every((n) => (theirs[n] ?? '') === labels[n]);
  });
  const own = covered.some(
    (a) => a.fingerprint === fingerprint && Object.keys(labelsOf(a) ?? {}).length === names.length,
  );
  if (!own)
    return {
      ok: false,
      reason: 'absent',
      why: `Alertmanager has no alert with fingerprint ${fingerprint} and exactly these ${names.length} labels`,
    };
  const others = covered.filter((a) => a.fingerprint !== fingerprint);
  if (others.length > 0)
    return {
      ok: false,
      reason: 'shared',
      why: `a silence on its labels would also silence ${others.length} other alert(s), e.g. fingerprint ${String(others[0]!.fingerprint).slice(0, 64)}`,
    };
  return { ok: true };
}

function labelsOf(alert: AmAlert): Record<string, unknown> | undefined {
  const l = alert.labels;
  return typeof l === 'object' && l !== null && !Array.isArray(l)
    ? (l as Record<string, unknown>)
    : undefined;
}
