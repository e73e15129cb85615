import type { ApprovalSpec, BusinessHours, Labels } from '../types.ts';

/** A counting place as it is now: how many hold it and how many may. */
export interface PlaceUsage {
  readonly key: string;
  readonly used: number;
  readonly limit: number;
}

/**
 * Why this run needs a human's approval: one line per condition that holds, empty when none does.
 * Pure: the caller reads the places' usage (for blastRadiusAbove) and passes the clock.
 */
export function approvalReasons(
  spec: ApprovalSpec,
  labels: Labels,
  now: number,
  usage: readonly PlaceUsage[] = [],
): string[] {
  const why: string[] = [];
  if (spec.always) why.push('always');
  if (spec.labels.length > 0 && spec.labels.every((m) => m.matches(labels)))
    why.push(`labels ${spec.labels.map((m) => m.text).join(', ')}`);
  if (spec.outside && !withinHours(spec.outside, now)) why.push(`outside ${spec.outside.text}`);
  if (spec.blastRadiusAbove !== undefined) {
    for (const place of usage) {
      // Counting this run: the share the cap would be used at if it went ahead now.
      const share = (place.used + 1) / place.limit;
      if (place.limit > 0 && share > spec.blastRadiusAbove) {
        why.push(
          `blast radius: ${place.key} would be at ${place.used + 1}/${place.limit} (above ${spec.blastRadiusAbove * 100}%)`,
        );
      }
    }
  }
  return why;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Is `now` inside the business hours, read on the wall clock of their time zone? */
export function withinHours(hours: BusinessHours, now: number): boolean {
  let format = formatters.get(hours.timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: hours.timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(hours.timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts['weekday'] ?? '');
  const minute = Number(parts['hour']) * 60 + Number(parts['minute']);
  return hours.days.has(day) && minute >= hours.fromMinute && minute < hours.toMinute;
}
