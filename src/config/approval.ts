import { RemediatorError } from '../errors.ts';
import { parseMatcher } from '../match/matcher.ts';
import type { ApprovalSpec, BusinessHours } from '../types.ts';
import { parseDuration } from './duration.ts';
import { FieldError } from './field-error.ts';

export interface RawApproval {
  always?: boolean;
  labels?: string[];
  outside?: { days: string; hours: string; timeZone: string };
  blastRadiusAbove?: number;
  expiresAfter?: string;
  onExpiry?: 'deny' | 'approve';
}

/** The defaults, as schema/runbook.schema.json documents them. */
export const APPROVAL_DEFAULTS = { expiresAfter: '15m', onExpiry: 'deny' } as const;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Compiles a schema-valid approval block; errors carry the path of the field (a FieldError). */
export function compileApproval(raw: RawApproval): ApprovalSpec {
  const labels = (raw.labels ?? []).map((text, i) => {
    try {
      return parseMatcher(text);
    } catch (err) {
      throw err instanceof RemediatorError ? new FieldError(['labels', i], err) : err;
    }
  });
  return {
    always: raw.always ?? false,
    labels,
    ...(raw.outside ? { outside: compileHours(raw.outside) } : {}),
    ...(raw.blastRadiusAbove !== undefined ? { blastRadiusAbove: raw.blastRadiusAbove } : {}),
    expiresAfterMs: parseDuration(raw.expiresAfter ?? APPROVAL_DEFAULTS.expiresAfter) ?? 0,
    onExpiry: raw.onExpiry ?? APPROVAL_DEFAULTS.onExpiry,
  };
}

function compileHours(raw: NonNullable<RawApproval['outside']>): BusinessHours {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw.timeZone });
  } catch {
    throw new FieldError(
      ['outside', 'timeZone'],
      new RemediatorError(
        'E_CONFIG',
        `unknown time zone "${raw.timeZone}" (use an IANA name like Europe/Berlin)`,
      ),
    );
  }
  const [from = '', to = ''] = raw.hours.split('-');
  const fromMinute = minutes(from);
  const toMinute = minutes(to);
  if (toMinute <= fromMinute) {
    throw new FieldError(
      ['outside', 'hours'],
      new RemediatorError('E_CONFIG', `"${raw.hours}" ends before it starts (write e.g. 09:00-18:00)`),
    );
  }
  return {
    days: parseDays(raw.days),
    fromMinute,
    toMinute,
    timeZone: raw.timeZone,
    text: `${raw.days} ${raw.hours} ${raw.timeZone}`,
  };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** `Mon-Fri`, `Sat,Sun`, `Mon-Wed,Fri` (a range may wrap: `Fri-Mon`). */
function parseDays(text: string): ReadonlySet<number> {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [a = '', b] = part.split('-');
    const from = DAYS.indexOf(a);
    const to = b === undefined ? from : DAYS.indexOf(b);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return days;
}
