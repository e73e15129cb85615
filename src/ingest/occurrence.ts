import { createHash } from 'node:crypto';

/** The id of one alert occurrence: (fingerprint, startsAt). Hex, fixed length. */
export function occurrenceId(fingerprint: string, startsAt: string): string {
  return createHash('sha256').update(`${fingerprint}\n${startsAt}`).digest('hex').slice(0, 24);
}
