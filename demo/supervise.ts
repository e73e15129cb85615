/**
 * Keeps the demo fleet running: one child process per instance (demo/service.ts), started again
 * after any exit, so `demo-restart` (SIGTERM to the pid in the pid file) is a real restart that
 * clears every fault.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTANCES_FILE, instancesFile, type FleetInstance } from './fleet.ts';
import { stopProcess } from './stack/stop.ts';

export interface SupervisorOptions {
  readonly fleet: readonly FleetInstance[];
  /** Where instances write their pid files, and the supervisor the `instances` file (name -> number). */
  readonly stateDir: string;
  /** Address the instances listen on. @defaultValue 127.0.0.1 */
  readonly host?: string;
  /** Wait before starting an exited instance again; doubled (up to 10 s) while it keeps crashing. @defaultValue 500 */
  readonly backoffMs?: number;
  /** One JSON object per event. @defaultValue writes JSON lines to stdout */
  readonly log?: (fields: Record<string, unknown>) => void;
  /** What happens to the instances' stdout and stderr. @defaultValue 'inherit' */
  readonly childOutput?: 'inherit' | 'ignore';
}

export interface Supervisor {
  /** Current pid of each instance by `<service>-<instance>`; absent while it is restarting. */
  pids(): Map<string, number>;
  /** Stops every instance (SIGTERM, SIGKILL after 5 s) and restarts none. */
  stop(): Promise<void>;
}

const SERVICE_SCRIPT = fileURLToPath(new URL('./service.ts', import.meta.url));
/** An instance that ran this long before exiting is not crash-looping: back to the first backoff. */
const STABLE_MS = 10_000;
const MAX_BACKOFF_MS = 10_000;

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const log = options.log ?? ((fields) => process.stdout.write(`${JSON.stringify(fields)}\n`));
  const children = new Map<string, ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  mkdirSync(options.stateDir, { recursive: true });
  writeFileSync(join(options.stateDir, INSTANCES_FILE), instancesFile(options.fleet));

  const start = (spec: FleetInstance, backoffMs: number) => {
    const key = `${spec.service}-${spec.instance}`;
    const args = [SERVICE_SCRIPT, '--service', spec.service, '--instance'];
    args.push(String(spec.instance), '--port', String(spec.port), '--state-dir', options.stateDir);
    if (options.host !== undefined) args.push('--host', options.host);
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', options.childOutput ?? 'inherit', options.childOutput ?? 'inherit'],
    });
    const startedAt = Date.now();
    children.set(key, child);
    log({ msg: 'instance started', instance: key, name: spec.name, pid: child.pid });
    child.once('exit', (code, signal) => {
      children.delete(key);
      if (stopping) return;
      const first = options.backoffMs ?? 500;
      const delay = Date.now() - startedAt > STABLE_MS ? first : backoffMs;
      log({ msg: 'instance exited', instance: key, pid: child.pid, code, signal, restartInMs: delay });
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) start(spec, Math.min(delay * 2, MAX_BACKOFF_MS));
      }, delay);
      timers.add(timer);
    });
  };
  for (const spec of options.fleet) start(spec, options.backoffMs ?? 500);

  return {
    pids: () => new Map([...children].flatMap(([key, child]) => (child.pid ? [[key, child.pid]] : []))),
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([...children.values()].map((child) => stopProcess(child)));
      log({ msg: 'supervisor stopped' });
    },
  };
}
