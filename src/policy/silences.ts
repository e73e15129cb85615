import { isPageHold } from '../execute/page-hold-silence.ts';
import { parseMatchers } from '../match/matcher.ts';
import type { Labels, Logger } from '../types.ts';

interface AmSilence {
  id: string;
  createdBy?: string;
  comment?: string;
  status?: { state?: string };
  matchers?: Array<{ name: string; value: string; isRegex?: boolean; isEqual?: boolean }>;
}

/**
 * Asks Alertmanager (API v2) for active silences and tells which one, if any, matches an alert's
 * labels: a silenced alert is treated as paused (remediator's own page holds excepted). Silences are cached for a few seconds; an
 * unreachable Alertmanager silences nothing (logged), so remediation is not blocked by it.
 */
export function createSilenceChecker(options: {
  url: string;
  fetch: typeof fetch;
  log: Logger;
  cacheMs?: number;
  now?: () => number;
}) {
  const cacheMs = options.cacheMs ?? 5000;
  const now = options.now ?? Date.now;
  let cached: { at: number; silences: Array<{ id: string; matches: (l: Labels) => boolean }> } | undefined;
  const load = async () => {
    if (cached && now() - cached.at < cacheMs) return cached.silences;
    const res = await options.fetch(`${options.url}/api/v2/silences`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) throw new Error(`Alertmanager answered ${res.status}`);
    // remediator's own page holds are not an operator's pause: honouring them would skip the very run they hold for.
    const list = ((await res.json()) as AmSilence[]).filter(
      (s) => s.status?.state === 'active' && !isPageHold(s),
    );
    const silences = list.map((s) => {
      const texts = (s.matchers ?? []).map(
        (m) => `${m.name}${m.isEqual === false ? '!' : '='}${m.isRegex ? '~' : ''}${JSON.stringify(m.value)}`,
      );
      const matchers = parseMatchers(texts);
      return { id: s.id, matches: (labels: Labels) => matchers.every((m) => m.matches(labels)) };
    });
    cached = { at: now(), silences };
    return silences;
  };
  return async (labels: Labels): Promise<string | undefined> => {
    try {
      return (await load()).find((s) => s.matches(labels))?.id;
    } catch (err) {
      options.log.warn(
        { err: (err as Error).message },
        'Alertmanager silences unavailable: not honoured this time',
      );
      return undefined;
    }
  };
}
