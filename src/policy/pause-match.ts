import { parseDuration } from '../config/duration.ts';
import { parseMatcher, parseMatchers } from '../match/matcher.ts';
import type { Pause } from '../stores/types.ts';
import type { Labels, Matcher } from '../types.ts';

/** At most this many pauses' compiled matchers are kept; pauses are few, ids are never reused. */
const CACHE_LIMIT = 1000;
/** `null`: the stored matchers do not parse (the pause was not made through validatePause). */
const compiled = new Map<string, readonly Matcher[] | null>();

function matchersOf(pause: Pause): readonly Matcher[] | null {
  const cached = compiled.get(pause.id);
  if (cached !== undefined) return cached;
  let matchers: readonly Matcher[] | null;
  try {
    matchers = parseMatchers(pause.matchers);
  } catch {
    matchers = null;
  }
  // Drop the oldest entry (Maps keep insertion order) so a long-lived process stays small.
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pause.id, matchers);
  return matchers;
}

/**
 * The first pause, in the given order, that is active at `now` and covers `labels`: a pause without
 * matchers covers everything, otherwise all its matchers must match. A stored pause whose matchers do
 * not parse also covers everything: it was meant to stop something, and stopping too much is the safe
 * mistake for an automation that acts on hosts.
 */
export function matchingPause(pauses: readonly Pause[], labels: Labels, now: number): Pause | undefined {
  return pauses.find((pause) => {
    if (!(Date.parse(pause.expiresAt) > now)) return false;
    const matchers = matchersOf(pause);
    return matchers === null || matchers.every((m) => m.matches(labels));
  });
}

/** A pause as the API or the CLI receives it. */
export interface PauseInput {
  /** Alertmanager matchers; an empty list pauses everything. */
  readonly matchers: readonly string[];
  /** Prometheus duration from now, e.g. `30m`; give this or `expiresAt`. */
  readonly duration?: string;
  /** ISO 8601 time with a zone, e.g. `2024-05-01T12:00:00Z`; give this or `duration`. */
  readonly expiresAt?: string;
  /** Why; required, at most {@link MAX_COMMENT} characters. */
  readonly comment: string;
  /** Who; @defaultValue 'unknown' */
  readonly createdBy?: string;
}

export type PauseValidation =
  { ok: true; pause: Omit<Pause, 'id' | 'createdAt'> } | { ok: false; problems: string[] };

export const MAX_COMMENT = 500;
/** The longest pause: 30 days. */
export const MAX_PAUSE_MS = 30 * 86_400_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks a pause request at `now`; every problem is reported, each saying what to write instead. */
export function validatePause(input: PauseInput, now: number): PauseValidation {
  const problems: string[] = [];
  for (const text of input.matchers) {
    try {
      parseMatcher(text);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  const expiry = expiryOf(input, now, problems);
  const comment = input.comment.trim();
  if (comment === '') problems.push('comment is required: say why remediation is paused');
  const length = [...comment].length;
  if (length > MAX_COMMENT) problems.push(`comment is ${length} characters; at most ${MAX_COMMENT} allowed`);
  if (problems.length > 0 || expiry === undefined) return { ok: false, problems };
  return {
    ok: true,
    pause: {
      matchers: [...input.matchers],
      comment,
      createdBy: input.createdBy?.trim() || 'unknown',
      expiresAt: new Date(expiry).toISOString(),
    },
  };
}

/** When the pause ends, in ms; undefined after pushing a problem. */
function expiryOf(input: PauseInput, now: number, problems: string[]): number | undefined {
  const problem = (text: string): undefined => void problems.push(text);
  if ((input.duration === undefined) === (input.expiresAt === undefined)) {
    return problem('give exactly one of duration (e.g. "30m") or expiresAt (e.g. "2024-05-01T12:00:00Z")');
  }
  let expiry: number;
  if (input.duration !== undefined) {
    const ms = parseDuration(input.duration);
    if (ms === undefined || ms === 0) {
      return problem(
        `duration ${JSON.stringify(input.duration)} is not a positive duration such as 30m, 2h or 1h30m`,
      );
    }
    expiry = now + ms;
  } else {
    const text = input.expiresAt ?? '';
    expiry = isoTime(text);
    if (Number.isNaN(expiry)) {
      return problem(
        `expiresAt ${JSON.stringify(text)} is not an ISO 8601 time with a zone, e.g. 2024-05-01T12:00:00Z`,
      );
    }
    if (expiry <= now) return problem(`expiresAt ${text} is not in the future`);
  }
  if (expiry - now > MAX_PAUSE_MS) return problem('a pause may last at most 30 days; create a new one later');
  return expiry;
}

/** Milliseconds of an ISO 8601 time with a zone, or NaN; `Date.parse` alone takes other forms and rolls Feb 30 over. */
function isoTime(text: string): number {
  const match = ISO_TIME.exec(text);
  if (match === null) return NaN;
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth ? Date.parse(text) : NaN;
}
