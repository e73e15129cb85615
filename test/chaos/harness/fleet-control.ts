/** What the scenarios do to the demo fleet and how they look at it: faults, pids, restarts, HAProxy. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetInstance } from '../../../demo/fleet.ts';
import { pidFile } from '../../../demo/fleet.ts';
import type { ChaosStack } from './stack.ts';

export type Fault = 'memory-leak' | 'error-spike' | 'cpu-burn' | 'pool-exhaustion' | 'hang' | 'clear';

export function instance(stack: ChaosStack, name: string): FleetInstance {
  const found = stack.fleet.find((i) => i.name === name);
  if (!found) throw new Error(`no instance ${name} in the chaos fleet`);
  return found;
}

export const baseUrl = (i: FleetInstance) => `http://127.0.0.1:${i.port}`;

/** POST /fault/<fault>; returns when the instance said 200 (the time the fault was injected). */
export async function inject(i: FleetInstance, fault: Fault, body: object = {}): Promise<number> {
  const response = await fetch(`${baseUrl(i)}/fault/${fault}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${i.name}: /fault/${fault} answered ${response.status}: ${text}`);
  return Date.now();
}

/** The instance's current pid (from its pid file), or undefined while it restarts. */
export async function pidOf(stack: ChaosStack, i: FleetInstance): Promise<number | undefined> {
  const text = await readFile(pidFile(stack.stateDir, i.service, i.instance), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface AdminState {
  memoryBytes: number;
  poolSize: number;
  poolInUse: number;
  accepting: boolean;
  faults: { leakBytesPerSecond: number; errorRatio: number; cpuBurn: boolean; hung: boolean };
}

export async function adminState(i: FleetInstance): Promise<AdminState> {
  return (await (
    await fetch(`${baseUrl(i)}/admin/state`, { signal: AbortSignal.timeout(3000) })
  ).json()) as AdminState;
}

/** True when the instance answers /healthz 200 and carries no fault. */
export async function healthy(i: FleetInstance): Promise<boolean> {
  const response = await fetch(`${baseUrl(i)}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(
    () => undefined,
  );
  await response?.body?.cancel().catch(() => undefined);
  if (response?.status !== 200) return false;
  const { faults, accepting } = await adminState(i);
  return (
    accepting && faults.leakBytesPerSecond === 0 && faults.errorRatio === 0 && !faults.cpuBurn && !faults.hung
  );
}

interface FleetEvent {
  readonly msg: 'started' | 'stopping';
  readonly at: number;
}

/** `started` and `stopping` (SIGTERM received) events of instance `i`, in order, from the fleet's log. */
async function eventsOf(stack: ChaosStack, i: FleetInstance): Promise<FleetEvent[]> {
  const text = await readFile(join(stack.dir, 'fleet.log'), 'utf8');
  const events: FleetEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { msg?: string; service?: string; instance?: number; time?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.service !== i.service || entry.instance !== i.instance || !entry.time) continue;
    if (entry.msg === 'started' || entry.msg === 'stopping')
      events.push({ msg: entry.msg, at: Date.parse(entry.time) });
  }
  return events;
}

/** Times (ms) at which a new process of `i` started since `since`: one per restart. */
export async function restartsSince(stack: ChaosStack, i: FleetInstance, since: number): Promise<number[]> {
  return (await eventsOf(stack, i)).filter((e) => e.msg === 'started' && e.at >= since).map((e) => e.at);
}

/** Periods since `since` when `i` was down: from its SIGTERM to its successor's start. */
export async function downtimesSince(
  stack: ChaosStack,
  i: FleetInstance,
  since: number,
): Promise<Array<{ from: number; to: number | undefined }>> {
  const spans: Array<{ from: number; to: number | undefined }> = [];
  for (const e of (await eventsOf(stack, i)).filter((x) => x.at >= since)) {
    if (e.msg === 'stopping') spans.push({ from: e.at, to: undefined });
    else if (spans.length > 0 && spans[spans.length - 1]!.to === undefined)
      spans[spans.length - 1]!.to = e.at;
  }
  return spans;
}

/**
 * HAProxy's view of one server from the runtime API (`show servers state`): operational state
 * (0 stopped, 1 starting, 2 running, 3 stopping) and administrative flags (0x08: drained by
 * `set server ... state drain`).
 */
export async function haproxyServer(
  stack: ChaosStack,
  i: FleetInstance,
): Promise<{ op: number; admin: number }> {
  const answer = await stack.haproxy.command(`show servers state ${i.service}`);
  const lines = answer.split('\n');
  const header =
    lines
      .find((l) => l.startsWith('# be_id'))
      ?.slice(2)
      .split(' ') ?? [];
  const column = (name: string) => header.indexOf(name);
  for (const line of lines) {
    const fields = line.split(' ');
    if (fields[column('srv_name')] !== i.name) continue;
    return { op: Number(fields[column('srv_op_state')]), admin: Number(fields[column('srv_admin_state')]) };
  }
  throw new Error(`HAProxy does not list ${i.service}/${i.name}:\n${answer}`);
}

export const DRAINED = 0x08;
