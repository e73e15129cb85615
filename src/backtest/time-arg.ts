import { ConfigError } from '../errors.ts';

const RELATIVE = /^-(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** `--from`/`--to`: RFC 3339, `now`, or a time before now such as `-30d`, `-6h`, `-90m`. */
export function parseTimeArg(option: string, text: string, now: number): number {
  if (text === 'now') return now;
  const relative = RELATIVE.exec(text);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  const at = RFC3339.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw new ConfigError([
      `${option}: "${text}" is not a time (use RFC 3339 like 2026-11-01T00:00:00Z, "now", or -30d, -6h, -90m)`,
    ]);
  return at;
}
