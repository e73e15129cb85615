// `npm run bench`: the whole suite, one table on stdout and in docs/benchmarks.md.
//
//   --quick          short load runs (2 s) to try the suite out; does not write docs/benchmarks.md
//   --only=1,4,...   run only these sections (1-3 ingest and reaction, 4 matching, 5 storm, 6 memory,
//                    7 backtest, 8 storms without starvation)
//   --profile=DIR    every remediator process runs with --cpu-prof into DIR (see bench/profile-summary.ts)
//   --no-write       print the table only
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem, type as osType, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchBacktest } from './backtest.ts';
import { benchIngest } from './ingest.ts';
import { createContext, WORKER_CONCURRENCY, type BenchContext } from './lib/context.ts';
import { benchMatching } from './matching.ts';
import { benchIdleMemory } from './memory.ts';
import { benchStorm } from './storm.ts';
import { benchStorms } from './storms.ts';
import { cpuMeter } from './lib/proc.ts';
import { sleep } from './lib/stats.ts';
import { renderTable, writeResults, type Row, type Section } from './table.ts';

const SECTIONS: Section[] = [
  {
    id: '1',
    title: 'Ingest, actionable alerts',
    baseline: 'a bare fastify route in its own process that parses the same bodies and answers 202',
  },
  { id: '2', title: 'Ingest, non-actionable alerts', baseline: 'the same bare fastify route, same bodies' },
  {
    id: '3',
    title: 'Reaction latency (webhook sent → step request at the target)',
    baseline: `a bare pipeline in its own process: fastify, one BullMQ job per alert, a BullMQ worker (concurrency ${WORKER_CONCURRENCY}) POSTing to the same target`,
  },
  {
    id: '4',
    title: 'Matching one alert',
    baseline:
      'time: a linear scan of the same compiled runbooks (every matcher of every runbook); heap: the same files as plain parsed YAML',
  },
  { id: '5', title: 'Alert storm', baseline: 'the bare pipeline of 3 with the same storm' },
  {
    id: '6',
    title: 'Resident memory',
    baseline:
      'a bare fastify process in JavaScript, bench/servers/bare-idle.mjs (idle), and the bare pipeline of 3 (after the storm)',
  },
  {
    id: '7',
    title: 'Backtest (remediator backtest, history made in memory)',
    baseline: 'matching alone (planRuns) over the same occurrences, without the policy gate',
  },
  {
    id: '8',
    title: 'Storms without starvation',
    baseline:
      'reaction: the same fresh-alert probes with nothing queued; the other rows have none (n/a). The service runs in a fresh bench process of its own here (test/harness/service.ts), so the heap of earlier sections does not weigh on it',
  },
];

type Step = (ctx: BenchContext) => Promise<Row[]>;
/** `ownProcess`: the step's service runs in the bench process, so it runs in a fresh one (inOwnProcess). */
const STEPS: Array<{ sections: string[]; run: Step; ownProcess?: true }> = [
  { sections: ['6'], run: benchIdleMemory },
  { sections: ['4'], run: benchMatching },
  { sections: ['1', '2', '3'], run: benchIngest },
  { sections: ['5', '6'], run: benchStorm },
  { sections: ['7'], run: () => benchBacktest() },
  {
    sections: ['8'],
    run: (ctx) => benchStorms({ quick: ctx.options.seconds < 6 }, (m) => ctx.log(m)),
    ownProcess: true,
  },
];

/** A row as a child hands it over: figures as strings, so ∞ and NaN survive JSON. */
type EncodedRow = Omit<Row, 'value' | 'baseline'> & { value: string; baseline: string };

/**
 * Runs a section whose service lives in the bench process in a fresh bench process of its own, so
 * the heap earlier sections left (10,000 compiled runbooks, the backtest's history) does not add
 * their garbage collections to its latencies: run after them in one process, section 8's p99 went
 * from ~60 ms to 120-190 ms.
 */
async function inOwnProcess(sections: readonly string[], ctx: BenchContext): Promise<Row[]> {
  const section = sections.join(',');
  const dir = await mkdtemp(join(tmpdir(), 'rm-bench-'));
  const rowsFile = join(dir, 'rows.json');
  try {
    const args = [fileURLToPath(import.meta.url), `--only=${section}`, '--no-write', `--rows-to=${rowsFile}`];
    if (ctx.options.seconds < 6) args.push('--quick');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) throw new Error(`bench section ${section} exited (${signal ?? `code ${code}`})`);
    const encoded = JSON.parse(await readFile(rowsFile, 'utf8')) as EncodedRow[];
    return encoded.map((r) => ({ ...r, value: Number(r.value), baseline: Number(r.baseline) }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      // Internal: a section run by inOwnProcess writes its rows here instead of a table.
      'rows-to': { type: 'string' },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const started = Date.now();
  const log = (m: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
  // Other people's work on a shared machine skews every figure: say how much there was at the start.
  const idle = cpuMeter({});
  await sleep(2000);
  const othersAtStart = idle()['others'] ?? NaN;
  log(`other load on the machine: ${othersAtStart.toFixed(2)} cores`);
  const nodeFlags = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values.profile)}`] : [];
  const ctx = await createContext(
    { seconds: values.quick ? 2 : 6, warmup: values.quick ? 0.5 : 1.5, nodeFlags },
    log,
  );
  const rows: Row[] = [];
  try {
    for (const step of STEPS) {
      if (only && !step.sections.some((s) => only.includes(s))) continue;
      const fresh = step.ownProcess === true && values['rows-to'] === undefined;
      rows.push(...(await (fresh ? inOwnProcess(step.sections, ctx) : step.run(ctx))));
    }
  } finally {
    await ctx.close();
  }
  if (values['rows-to'] !== undefined) {
    const encoded: EncodedRow[] = rows.map((r) => ({
      ...r,
      value: String(r.value),
      baseline: String(r.baseline),
    }));
    await writeFile(values['rows-to'], JSON.stringify(encoded));
    // Section 8's in-process service leaves handles that keep a process alive for minutes after its
    // close (the whole suite's process pays that wait at its end); the parent has the rows.
    process.exit(0);
  }
  const seconds = (Date.now() - started) / 1000;
  const argv = process.argv.slice(2);
  const report = [
    `Run on ${new Date(started).toISOString()} with \`npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}\`, ` +
      `${seconds.toFixed(0)} s in all.`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
      `${osType()} ${release()}, Node.js ${process.version}, Redis from test/harness/redis.ts (AOF, fsync every second). ` +
      `Other load on the machine when the bench started: ${othersAtStart.toFixed(2)} cores (per-run figures in the notes, \`others\`).`,
    '',
    `Load: autocannon in the bench process, ${ctx.options.seconds} s per run after ${ctx.options.warmup} s of warm-up, ` +
      `against \`node bin/remediator.js serve\` (log level info, to a file) or a baseline in a process of its own.`,
    '',
    renderTable(SECTIONS, rows),
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  if (!values.quick && !values['no-write'] && !only) {
    const file = new URL('../docs/benchmarks.md', import.meta.url).pathname;
    await writeResults(file, report);
    log(`written to ${file}`);
  }
}

await main();
