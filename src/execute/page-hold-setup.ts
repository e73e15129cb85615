import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.ts';
import { ConfigError } from '../errors.ts';
import { createRedisHealedHoldStore } from '../stores/redis-page-hold-store.ts';
import type { Runbook } from '../types.ts';
import type { PageHoldDeps } from './page-hold.ts';
import { createPageHoldApi } from './page-hold-alertmanager.ts';
import { holdsPage } from './page-hold-silence.ts';
import { startPageHoldWatch, type PageHoldWatchDeps } from './page-hold-watch.ts';
import type { RunnerDeps } from './runner-deps.ts';

/** Checked at start-up, before anything starts: a runbook that holds the page needs an Alertmanager URL. */
export function checkPageHold(settings: Settings, runbooks: readonly Runbook[]): void {
  const holding = runbooks.filter((rb) => holdsPage(rb, settings.pageHold));
  if (holding.length > 0 && settings.alertmanagerUrls.length === 0)
    throw new ConfigError(
      holding.map((rb) => `${rb.file}: runbook "${rb.name}": pageHold needs REMEDIATOR_ALERTMANAGER_URL`),
    );
}

/** The page hold's parts for main.ts: nothing when no runbook holds the page. */
export function pageHoldSetup(
  settings: Settings,
  runbooks: readonly Runbook[],
  redis: Redis,
  prefix: string,
  fetchFn: typeof fetch,
  log: RunnerDeps['log'],
): PageHoldDeps | undefined {
  if (settings.alertmanagerUrls.length === 0 || !runbooks.some((rb) => holdsPage(rb, settings.pageHold)))
    return undefined;
  return {
    api: createPageHoldApi({ urls: settings.alertmanagerUrls, fetch: fetchFn, log }),
    healed: createRedisHealedHoldStore(redis, prefix),
  };
}

/** The watch over healed holds, a quarter of the lapse bound apart (at least 1 s, at most 15 s). */
export function startHealedWatch(
  hold: PageHoldDeps,
  deps: Omit<PageHoldWatchDeps, 'api' | 'healed' | 'alertmanagerUrls' | 'resolveWaitMs'>,
  settings: Settings,
): { stop(): void } {
  const every = Math.min(15_000, Math.max(1000, Math.floor(settings.pageHoldLapseMs / 4)));
  return startPageHoldWatch(
    {
      ...deps,
      api: hold.api,
      healed: hold.healed,
      alertmanagerUrls: settings.alertmanagerUrls,
      resolveWaitMs: settings.pageHoldResolveWaitMs,
    },
    every,
  );
}
