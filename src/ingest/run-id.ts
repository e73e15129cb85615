import { createHash } from 'node:crypto';

/**
 * The id of the run one runbook makes of one alert occurrence. An occurrence is (fingerprint,
 * startsAt): retries and HA peers' copies share it (they differ only in fields like externalURL),
 * while the same alert firing again later has a new startsAt. Hex only: BullMQ job ids may not hold ':'.
 */
export function runId(runbook: string, fingerprint: string, startsAt: string): string {
  return createHash('sha256').update(`${runbook}\n${fingerprint}\n${startsAt}`).digest('hex').slice(0, 32);
}
