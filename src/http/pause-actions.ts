import { randomUUID } from 'node:crypto';
import { validatePause, type PauseInput } from '../policy/pause-match.ts';
import type { Pause, PauseStore } from '../stores/types.ts';
import { withRedis } from './redis-guard.ts';

export type CreatePauseResult = { ok: true; pause: Pause } | { ok: false; problems: string[] };

/** A pause as listed: `active` until its expiry. */
export type ListedPause = Pause & { active: boolean };

/**
 * Checks and stores a pause: the one path shared by the API and the console, so both accept and refuse
 * exactly the same input. Redis failures throw E_REDIS (retryable).
 */
export async function createPause(
  pauses: PauseStore,
  input: PauseInput,
  now: Date,
): Promise<CreatePauseResult> {
  const checked = validatePause(input, now.getTime());
  if (!checked.ok) return checked;
  const pause: Pause = { ...checked.pause, id: randomUUID(), createdAt: now.toISOString() };
  await withRedis(() => pauses.create(pause));
  return { ok: true, pause };
}

/** Every stored pause, each marked active or not at `now` (ms). */
export async function listPauses(pauses: PauseStore, now: number): Promise<ListedPause[]> {
  const all = await withRedis(() => pauses.list());
  return all.map((p) => ({ ...p, active: Date.parse(p.expiresAt) > now }));
}
