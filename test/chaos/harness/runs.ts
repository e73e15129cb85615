/** Run records read straight from Redis, whichever process wrote them and whether any is running. */
import type { Redis } from 'ioredis';
import type { RunRecord } from '../../../src/types.ts';
import { until } from './wait.ts';

const PREFIX = 'remediator:';
export const ENDED = new Set(['succeeded', 'failed', 'unknown', 'skipped']);

export async function getRun(redis: Redis, id: string): Promise<RunRecord | undefined> {
  const [status, doc] = await redis.hmget(`${PREFIX}run:${id}`, 'status', 'doc');
  if (!doc) return undefined;
  const run = JSON.parse(doc) as RunRecord;
  return status ? { ...run, status: status as RunRecord['status'] } : run;
}

/** Every run in the index, oldest first. */
export async function allRuns(redis: Redis): Promise<RunRecord[]> {
  const ids = await redis.zrange(`${PREFIX}runs`, '0', '-1');
  const runs = await Promise.all(ids.map((id) => getRun(redis, id)));
  return runs.filter((r): r is RunRecord => r !== undefined);
}

/** Runs for alerts about `instance` (label), optionally of one alert name. */
export async function runsFor(redis: Redis, instance: string, alertname?: string): Promise<RunRecord[]> {
  return (await allRuns(redis)).filter(
    (r) =>
      r.alert.labels['instance'] === instance &&
      (alertname === undefined || r.alert.labels['alertname'] === alertname),
  );
}

/** Waits for a run matching `pick` to have ended; returns it. */
export function endedRun(
  redis: Redis,
  what: string,
  timeoutMs: number,
  pick: (run: RunRecord) => boolean,
): Promise<RunRecord> {
  return until(what, timeoutMs, async () =>
    (await allRuns(redis)).find((r) => pick(r) && ENDED.has(r.status)),
  );
}

/** Runs that are neither ended nor waiting for anything: queued or running. */
export const open = (runs: readonly RunRecord[]) => runs.filter((r) => !ENDED.has(r.status));
