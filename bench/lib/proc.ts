import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (Linux /proc), or NaN elsewhere. */
export function rssBytes(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set size of a process in bytes (Linux /proc), or NaN elsewhere. */
export function peakRssBytes(pid: number): number {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb === undefined ? NaN : Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

// Linux reports CPU time in clock ticks; 100 per second on every common configuration.
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far (Linux /proc), or NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Measures how busy some processes are over a window: CPU seconds per wall second (1 = one core). */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const self = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(self);
    const out: Record<string, number> = { bench: (used.user + used.system) / 1e6 / wall };
    for (const [k, pid] of Object.entries(pids)) out[k] = (cpuSeconds(pid) - start[k]!) / wall;
    return out;
  };
}
