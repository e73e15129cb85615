// Summarises V8 CPU profiles (`node --cpu-prof`, or `npm run bench -- --profile=DIR`): where the
// time went, by function and by file, self time only.
//
//   node bench/profile-summary.ts DIR-or-FILE.cpuprofile [--top=25]
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const REPO = new URL('../', import.meta.url).pathname;

function where(node: ProfileNode): { fn: string; file: string } {
  const { functionName, url, lineNumber } = node.callFrame;
  const path = url.startsWith('file://') ? relative(REPO, new URL(url).pathname) : url || '(native)';
  const fn = `${functionName || '(anonymous)'} ${path}:${lineNumber + 1}`;
  // Group node_modules by package, our own code by file.
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  return { fn, file: pkg ? `node_modules/${pkg}` : path };
}

function summarise(profiles: Profile[], top: number): string {
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  // Inclusive time of the project's own functions (src/): samples with the function anywhere on the stack.
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      const node = nodes.get(id);
      if (!node) return;
      const { fn, file } = where(node);
      byFn.set(fn, (byFn.get(fn) ?? 0) + dt);
      byFile.set(file, (byFile.get(file) ?? 0) + dt);
      total += dt;
      if (node.callFrame.functionName === '(idle)') idle += dt;
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = nodes.get(at);
        if (!frame || !frame.callFrame.url.includes('/src/')) continue;
        const key = where(frame).fn;
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      }
    });
  }
  const busy = total - idle;
  const table = (m: Map<string, number>, of: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${((100 * us) / of).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      )
      .join('\n');
  return (
    `${(total / 1e6).toFixed(1)} s sampled, ${(idle / 1e6).toFixed(1)} s of it idle; percentages below are of the ${(busy / 1e6).toFixed(1)} s busy\n\n` +
    `by file or package (self time):\n${table(byFile, busy)}\n\n` +
    `by function (self time):\n${table(byFn, busy)}\n\n` +
    `src/ functions, inclusive (self + callees):\n${table(inclusive, busy)}\n`
  );
}

/** Reads .cpuprofile files and renders the summary. */
export async function summariseProfiles(files: readonly string[], top: number): Promise<string> {
  const profiles = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as Profile),
  );
  return summarise(profiles, top);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  const files: string[] = [];
  for (const p of positionals) {
    if ((await stat(p)).isDirectory()) {
      files.push(...(await readdir(p)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)));
    } else files.push(p);
  }
  process.stdout.write(await summariseProfiles(files, Number(values.top)));
}
