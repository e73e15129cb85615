// 6 (first half). Resident memory of an idle remediator with the example runbooks and inventory.
import { join } from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { buildInstalledLayout } from './lib/compiled.ts';
import { forkChild } from './lib/child.ts';
import { rssBytes } from './lib/proc.ts';
import { MB, sleep } from './lib/stats.ts';
import type { Row } from './table.ts';

const REPO = new URL('../', import.meta.url).pathname;
const SETTLE_MS = 3000;
const TARGET_MB = 90;

const EXAMPLES = { runbooksDir: join(REPO, 'runbooks'), inventoryFile: join(REPO, 'inventory.yaml') };

/** RSS of an idle process: sampled over SETTLE_MS, the last sample (and the range, for the notes). */
async function settledRss(pid: number): Promise<{ last: number; min: number; max: number }> {
  const samples: number[] = [];
  for (let t = 0; t < SETTLE_MS; t += 250) {
    await sleep(250);
    samples.push(rssBytes(pid));
  }
  return { last: samples.at(-1)!, min: Math.min(...samples), max: Math.max(...samples) };
}

async function idleRss(ctx: BenchContext, prefix: string, entry?: string) {
  const svc = await ctx.remediator(prefix, EXAMPLES, {}, entry);
  try {
    return await settledRss(svc.pid);
  } finally {
    await svc.stop();
  }
}

export async function benchIdleMemory(ctx: BenchContext): Promise<Row[]> {
  ctx.log('memory: idle remediator with the example runbooks');
  // As installed (`npm install -g`): the built JavaScript of dist/. The checkout's `npm start` for the note.
  const installed = await idleRss(ctx, 'idlejs', await buildInstalledLayout(join(ctx.work, 'installed')));
  const checkout = await idleRss(ctx, 'idle');
  const bare = await forkChild(new URL('./servers/bare-idle.mjs', import.meta.url));
  let base: number;
  try {
    base = (await settledRss(bare.pid)).last;
  } finally {
    await bare.stop();
  }
  const mb = (n: number) => (n / MB).toFixed(1);
  ctx.log(
    `  installed ${mb(installed.last)} MB; from the checkout ${mb(checkout.last)} MB; bare fastify ${mb(base)} MB`,
  );
  return [
    {
      section: '6',
      measure: 'RSS idle, example runbooks, installed package',
      value: installed.last / MB,
      baseline: base / MB,
      unit: 'MB',
      target: { text: `< ${TARGET_MB} MB`, met: installed.last / MB < TARGET_MB },
      note:
        `${SETTLE_MS / 1000} s after /readyz answered 200 (range over that time ${mb(installed.min)}–${mb(installed.max)} MB); ` +
        `the built JavaScript of dist/, as \`npm install -g\` runs it; the baseline is a bare fastify process, also JavaScript (bench/servers/bare-idle.mjs). ` +
        `From a checkout (\`npm start\`, src/ by Node's type stripping): ${mb(checkout.last)} MB.`,
    },
  ];
}
