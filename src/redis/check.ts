import type { Redis } from 'ioredis';
import { errorMessage } from '../errors.ts';

const SETTINGS = ['maxmemory-policy', 'appendonly', 'save'] as const;
type Setting = (typeof SETTINGS)[number];

/**
 * Warnings, for people, when an external Redis would lose remediator's data: queued jobs, locks and
 * run records. Empty when all is well. Never throws: managed services often disable CONFIG, and a
 * setting we cannot read is a reason to warn, not to refuse to start.
 */
export async function checkRedisDurability(redis: Redis): Promise<string[]> {
  try {
    const settings: Partial<Record<Setting, string>> = {};
    for (const name of SETTINGS) {
      // One CONFIG GET per name: some proxies reject several patterns in one call.
      const reply = await redis.config('GET', name);
      settings[name] = valueOf(reply, name);
    }
    const missing = SETTINGS.filter((name) => settings[name] === undefined);
    if (missing.length > 0) throw new Error(`no value for ${missing.join(', ')}`);
    return durabilityWarnings(settings);
  } catch (err) {
    return [
      `Could not check Redis durability settings (CONFIG GET failed: ${errorMessage(err)}). ` +
        'Make sure maxmemory-policy is noeviction and persistence (appendonly yes or RDB save points) is on, ' +
        'or queued remediations can be lost.',
    ];
  }
}

/** The decision, apart from I/O: warnings for settings as CONFIG GET reports them. */
export function durabilityWarnings(settings: Partial<Record<Setting, string>>): string[] {
  const warnings: string[] = [];
  const policy = settings['maxmemory-policy'];
  if (policy !== undefined && policy !== 'noeviction') {
    warnings.push(
      `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict BullMQ jobs and locks. ` +
        'Set maxmemory-policy noeviction.',
    );
  }
  const aof = settings.appendonly;
  const save = settings.save;
  if (aof === 'no' && save !== undefined && save.trim() === '') {
    warnings.push(
      'Redis has no persistence (appendonly no, save ""): queued remediations and run records are lost ' +
        'when it restarts. Set appendonly yes (or configure save points).',
    );
  }
  return warnings;
}

/** CONFIG GET answers `[name, value]` (RESP2, or RESP3 with legacy mapping) or `{ name: value }`. */
function valueOf(reply: unknown, name: string): string | undefined {
  if (Array.isArray(reply)) {
    const at = reply.findIndex((item, i) => i % 2 === 0 && String(item) === name);
    return at >= 0 ? String(reply[at + 1]) : undefined;
  }
  if (reply !== null && typeof reply === 'object') {
    const value = (reply as Record<string, unknown>)[name];
    return value === undefined ? undefined : String(value);
  }
  return undefined;
}
