// 6 (first half). Resident memory of an idle remediator with the example runbooks and inventory.
import { join } from 'node:path';
import type { BenchContext } from './lib/context.ts';
import { rssBytes } from './lib/proc.ts';
import { MB, sleep } from './lib/stats.ts';
import type { Row } from './table.ts';

const REPO = new URL('../', import.meta.url).pathname;
const SETTLE_MS = 3000;
const TARGET_MB = 150;

export async function benchIdleMemory(ctx: BenchContext): Promise<Row[]> {
  ctx.log('memory: idle remediator with the example runbooks');
  const svc = await ctx.remediator('idle', {
    runbooksDir: join(REPO, 'runbooks'),
    inventoryFile: join(REPO, 'inventory.yaml'),
  });
  let own: number;
  try {
    await sleep(SETTLE_MS);
    own = rssBytes(svc.pid);
  } finally {
    await svc.stop();
  }
  const bare = await ctx.bare('parse');
  let base: number;
  try {
    await sleep(SETTLE_MS);
    base = rssBytes(bare.pid);
  } finally {
    await bare.stop();
  }
  ctx.log(`  ${(own / MB).toFixed(1)} MB (bare fastify ${(base / MB).toFixed(1)} MB)`);
  return [
    {
      section: '6',
      measure: 'RSS idle, example runbooks',
      value: own / MB,
      baseline: base / MB,
      unit: 'MB',
      target: { text: `< ${TARGET_MB} MB`, met: own / MB < TARGET_MB },
      note: `${SETTLE_MS / 1000} s after /readyz answered 200; both processes load TypeScript through tsx.`,
    },
  ];
}
