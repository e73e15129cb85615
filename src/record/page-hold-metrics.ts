import { Counter, type Registry } from 'prom-client';
import { HOLD_ENDS } from '../execute/page-hold-silence.ts';
import type { Runbook } from '../types.ts';

/** What a page-hold call to Alertmanager was doing when it failed. */
export const HOLD_OPS = ['create', 'renew', 'release', 'watch', 'check'] as const;

/** The page-hold metrics; part of createMetrics (one factory, one registry). */
export function createPageHoldMetrics(registry: Registry, runbooks: readonly Runbook[]) {
  const registers = [registry];
  const pageHolds = new Counter({
    name: 'remediator_page_holds_total',
    help: 'Human pages held (an Alertmanager silence made) while a run heals, by runbook.',
    labelNames: ['runbook'] as const,
    registers,
  });
  const pageHoldReleases = new Counter({
    name: 'remediator_page_hold_releases_total',
    help: 'Page holds ended, by reason: failed, unknown, refused (an escalating policy), skipped, approval (a human was asked), resolved (healed: a page avoided), not_resolved (healed but still firing after the resolve wait).',
    labelNames: ['reason'] as const,
    registers,
  });
  const pagesAvoided = new Counter({
    name: 'remediator_pages_avoided_total',
    help: 'Alerts healed while their page was held and then seen resolved by Alertmanager: nobody was paged.',
    labelNames: ['runbook'] as const,
    registers,
  });
  const pageHoldErrors = new Counter({
    name: 'remediator_page_hold_errors_total',
    help: 'Page-hold calls no Alertmanager peer answered, by operation (fail-open: people are paged as usual).',
    labelNames: ['op'] as const,
    registers,
  });
  const pageHoldsDeclined = new Counter({
    name: 'remediator_page_holds_declined_total',
    help: 'Pages not held although the runbook holds them, by reason: absent (Alertmanager does not have the alert: a forged webhook call?), shared (a silence on its labels would also silence another alert). People were paged as usual.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['absent', 'shared']) pageHoldsDeclined.labels(reason).inc(0);
  for (const rb of runbooks) {
    pageHolds.labels(rb.name).inc(0);
    pagesAvoided.labels(rb.name).inc(0);
  }
  for (const reason of HOLD_ENDS) pageHoldReleases.labels(reason).inc(0);
  for (const op of HOLD_OPS) pageHoldErrors.labels(op).inc(0);
  return { pageHolds, pageHoldReleases, pagesAvoided, pageHoldErrors, pageHoldsDeclined };
}
