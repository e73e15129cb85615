// Where does remediator spend its time under one bench load? Starts Redis, the target and
// `node --cpu-prof bin/remediator.js serve`, drives the load, stops the service (which writes the
// profile) and prints the summary of bench/profile-summary.ts.
//
//   node bench/profile.ts actionable|non-actionable|storm [--seconds=6] [--dir=DIR]
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createContext } from './lib/context.ts';
import { NO_STORM_GUARD, OPEN_SETTINGS } from './lib/fixture.ts';
import { runLoad } from './lib/load.ts';
import { actionableLabels, bodyFactory, nonActionableLabels } from './lib/payloads.ts';
import { summariseProfiles } from './profile-summary.ts';
import { sleep } from './lib/stats.ts';

const { values, positionals } = parseArgs({
  options: { seconds: { type: 'string', default: '6' }, dir: { type: 'string' } },
  allowPositionals: true,
});
const kind = positionals[0] ?? 'actionable';
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'remediator-prof-')));
const log = (m: string) => process.stderr.write(`${m}\n`);
const ctx = await createContext(
  { seconds: Number(values.seconds), warmup: 1, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] },
  log,
);
try {
  const storm = kind === 'storm';
  const svc = await ctx.remediator(
    'prof',
    storm ? ctx.guarded : ctx.open,
    storm ? NO_STORM_GUARD : OPEN_SETTINGS,
  );
  const headers = { authorization: `Bearer ${ctx.token}` };
  if (storm) {
    const body = bodyFactory(5000, (i) => actionableLabels(i, 3), 'ps')();
    const res = await fetch(`${svc.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    log(`storm: ${res.status}; letting the worker run for ${values.seconds} s`);
    await sleep(Number(values.seconds) * 1000);
  } else {
    const labels = kind === 'actionable' ? actionableLabels : nonActionableLabels;
    const r = await runLoad({
      url: svc.url,
      headers,
      body: bodyFactory(2, labels, 'pf'),
      connections: 50,
      seconds: Number(values.seconds),
      watch: { server: svc.pid },
    });
    log(`${kind}: ${r.acceptedPerSec.toFixed(0)} notifications/s`);
  }
  await svc.stop();
} finally {
  await ctx.close();
}
// One profile per thread (the main thread's is the big one).
const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
const main = files[sizes.indexOf(Math.max(...sizes))]!;
log(`profiles: ${files.join(', ')}; main thread: ${main}`);
process.stdout.write(await summariseProfiles([main], 30));
