import { compileTemplate } from '../execute/template.ts';
import type { Rate, RunbookPolicy } from '../types.ts';
import { parseDuration } from './duration.ts';

export interface RawPolicy {
  cooldown?: string;
  maxRuns?: string;
  maxRunsPerTarget?: string;
  maxInFlight?: number;
  group?: string;
  groupConcurrency?: number;
  maxWait?: string;
  breaker?: { failures?: number; within?: string; coolOff?: string };
  onResolved?: 'abort' | 'finish';
  rerun?: 'never' | 'afterCooldown';
  storm?: string;
}

/** The defaults, as schema/runbook.schema.json documents them. */
export const POLICY_DEFAULTS = {
  cooldown: '10m',
  maxRuns: '10 per 1h',
  maxRunsPerTarget: '3 per 1h',
  maxInFlight: 5,
  group: '{{#if labels.service}}{{labels.service}}{{/if}}',
  groupConcurrency: 1,
  maxWait: '10m',
  breaker: { failures: 3, within: '30m', coolOff: '1h' },
  onResolved: 'abort',
  rerun: 'never',
} as const;

/** Parses `N per DURATION` (already schema-checked). */
export function parseRate(text: string): Rate {
  const [, limit, window] = /^(\d+) per (.+)$/.exec(text) ?? [];
  return { limit: Number(limit), windowMs: parseDuration(window ?? '') ?? 0 };
}

/** Fills in defaults and compiles the group template (throws E_TEMPLATE like any template). */
export function compilePolicy(raw: RawPolicy | undefined): RunbookPolicy {
  const p = raw ?? {};
  const d = POLICY_DEFAULTS;
  const ms = (text: string) => parseDuration(text) ?? 0;
  return {
    cooldownMs: ms(p.cooldown ?? d.cooldown),
    maxRuns: parseRate(p.maxRuns ?? d.maxRuns),
    maxRunsPerTarget: parseRate(p.maxRunsPerTarget ?? d.maxRunsPerTarget),
    maxInFlight: p.maxInFlight ?? d.maxInFlight,
    // The group is decided before parameters are rendered, so it may only use the alert itself.
    group: compileTemplate(p.group ?? d.group, { params: new Set() }),
    groupConcurrency: p.groupConcurrency ?? d.groupConcurrency,
    maxWaitMs: ms(p.maxWait ?? d.maxWait),
    breaker: {
      failures: p.breaker?.failures ?? d.breaker.failures,
      withinMs: ms(p.breaker?.within ?? d.breaker.within),
      coolOffMs: ms(p.breaker?.coolOff ?? d.breaker.coolOff),
    },
    onResolved: p.onResolved ?? d.onResolved,
    rerun: p.rerun ?? d.rerun,
    // Unset: REMEDIATOR_STORM_LIMIT decides, so one setting covers every runbook.
    ...(p.storm === undefined ? {} : { storm: p.storm === 'off' ? 'off' : parseRate(p.storm) }),
  };
}
