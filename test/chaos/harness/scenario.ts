/**
 * Runs one chaos scenario in its own directory (test-artifacts/chaos/<id>/) with its own processes,
 * undoes what it did afterwards (processes stopped, faults cleared, alerts resolved) so the next one
 * starts from a quiet fleet, and on failure leaves every log there and names the directory.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { baseUrl } from './fleet-control.ts';
import { ARTIFACTS } from './paths.ts';
import { tail } from './proc.ts';
import type { ChaosStack } from './stack.ts';
import type { TimelineRow } from './timeline.ts';
import { sleep, until } from './wait.ts';

export interface Scenario {
  /** Directory name, e.g. `01-memory-leak`. */
  readonly id: string;
  readonly title: string;
  /** Bound on the whole scenario, cleanup included. */
  readonly timeoutMs: number;
  run(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioContext {
  readonly stack: ChaosStack;
  readonly dir: string;
  /** Timeline rows for the table. */
  readonly rows: TimelineRow[];
  /** Runs `cleanup` when the scenario ends, passed or failed (last registered, first run). */
  defer(cleanup: () => Promise<unknown>): void;
  /** An ioredis client closed at the end of the scenario. */
  redis(url: string): Redis;
  /** A line in `<dir>/scenario.log`: what the scenario did, when. */
  note(text: string): void;
}

export const KEEP = process.env['CHAOS_KEEP'] === '1';

export async function runScenario(stack: ChaosStack, scenario: Scenario, rows: TimelineRow[]): Promise<void> {
  const dir = join(ARTIFACTS, scenario.id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const cleanups: Array<() => Promise<unknown>> = [];
  const note = (text: string) =>
    appendFileSync(join(dir, 'scenario.log'), `${new Date().toISOString()} ${text}\n`);
  const ctx: ScenarioContext = {
    stack,
    dir,
    rows,
    defer: (cleanup) => void cleanups.push(cleanup),
    redis(url) {
      const client = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
      client.on('error', () => undefined);
      cleanups.push(async () => client.disconnect());
      return client;
    },
    note,
  };
  let failure: unknown;
  try {
    note(`scenario ${scenario.title}: start`);
    await scenario.run(ctx);
    note('passed');
  } catch (err) {
    failure = err;
    note(`FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  }
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((err: unknown) => note(`cleanup failed: ${String(err)}`));
  }
  try {
    await quiesce(stack);
  } catch (err) {
    note(`quiesce failed: ${String(err)}`);
    failure ??= err;
  }
  if (failure === undefined) {
    if (!KEEP) await rm(dir, { recursive: true, force: true });
    return;
  }
  process.stderr.write(logDump(scenario, dir, stack));
  const message = failure instanceof Error ? failure.message : String(failure);
  throw new Error(`${message}\n  logs of every process involved: ${dir} (shared stack: ${stack.dir})`, {
    cause: failure,
  });
}

/** The last lines of every log the scenario and the stack wrote, for a CI log a developer reads. */
function logDump(scenario: Scenario, dir: string, stack: ChaosStack): string {
  const files = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => join(dir, f)),
    ...stack.logFiles(),
  ];
  const parts = files.map((file) => `---- ${file} (last 40 lines) ----\n${tail(file, 40)}\n`);
  return `\n==== chaos scenario "${scenario.title}" failed; logs in ${dir} ====\n${parts.join('')}==== end of logs ====\n`;
}

/**
 * Back to a quiet fleet: every fault cleared, every HAProxy server ready, and no demo alert left
 * firing or pending in Prometheus or listed by either Alertmanager. Waits up to 90 s (an error-rate
 * alert looks back one minute).
 */
export async function quiesce(stack: ChaosStack): Promise<void> {
  await Promise.all(
    stack.fleet.map(async (i) => {
      await fetch(`${baseUrl(i)}/fault/clear`, { method: 'POST', signal: AbortSignal.timeout(3000) }).catch(
        () => undefined,
      );
      await fetch(`${baseUrl(i)}/admin/undrain`, { method: 'POST', signal: AbortSignal.timeout(3000) }).catch(
        () => undefined,
      );
      await stack.haproxy.command(`set server ${i.service}/${i.name} state ready`).catch(() => undefined);
    }),
  );
  await until(
    'every alert about the fleet to resolve (Prometheus and both Alertmanagers)',
    90_000,
    async () => {
      const prom = (await (await fetch(`${stack.prometheusUrl}/api/v1/alerts`)).json()) as {
        data: { alerts: Array<{ labels: Record<string, string> }> };
      };
      if (prom.data.alerts.some((a) => !a.labels['alertname']?.startsWith('Remediator'))) return false;
      for (const am of [stack.alertmanagers.a, stack.alertmanagers.b]) {
        const alerts = (await (
          await fetch(`${am.url}/api/v2/alerts?active=true&silenced=true&inhibited=true`)
        ).json()) as Array<{
          labels: Record<string, string>;
        }>;
        if (alerts.some((a) => !a.labels['alertname']?.startsWith('Remediator'))) return false;
      }
      return true;
    },
    500,
  );
  await sleep(500);
}
