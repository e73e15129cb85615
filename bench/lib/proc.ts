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

/** CPU seconds the whole machine has spent busy (all CPUs, everything but idle and iowait). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - fields[3]! - fields[4]!) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Measures how busy some processes are over a window: CPU seconds per wall second (1 = one core), for
 * this process (`bench`), each of `pids`, and `others`: the rest of the machine (other people's builds
 * and tests on a shared machine show up here; the figures measured alongside are then less reliable).
 */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const machine0 = machineBusySeconds();
  const self = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(self);
    const out: Record<string, number> = { bench: (used.user + used.system) / 1e6 / wall };
    for (const [k, pid] of Object.entries(pids)) out[k] = (cpuSeconds(pid) - start[k]!) / wall;
    const ours = Object.values(out).reduce((a, b) => a + b, 0);
    out['others'] = Math.max(0, (machineBusySeconds() - machine0) / wall - ours);
    return out;
  };
}
