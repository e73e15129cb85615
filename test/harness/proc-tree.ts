/** Linux process tree from /proc, for tests that check a stop left nothing behind. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** pid -> [parent pid, state letter] for every process now. */
function table(): Map<number, [number, string]> {
  const rows = new Map<number, [number, string]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      rows.set(Number(name), [Number(ppid), state]);
    } catch {
      // exited while we read
    }
  }
  return rows;
}

/** Every process below `pid` (children, their children, ...), detached ones included. */
export function descendants(pid: number): number[] {
  const rows = [...table()];
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, [ppid]] of rows) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Running (a zombie waiting for a parent that does not reap it counts as gone). */
export function isAlive(pid: number): boolean {
  const row = table().get(pid);
  return row !== undefined && row[1] !== 'Z' && row[1] !== 'X';
}

/** PATH with this test's node first, so `npm` and the `node` of npm scripts are the one running the tests. */
export function pathWithThisNode(): string {
  return `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
}
