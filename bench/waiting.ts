// 7. Waiting runs: Redis commands per second while N runs of one runbook wait for one target's lock
// (the first run's step is held open at the target). Alone: `node bench/waiting.ts [N] [seconds]`.
import { Redis } from 'ioredis';
import { startHttpTarget } from '../test/harness/http-target.ts';
import { payload } from '../test/harness/payloads.ts';
import { httpInventory } from '../test/harness/policy-checks.ts';
import { startTestService } from '../test/harness/service.ts';

const RUNBOOK = `
name: waiting
match: ['alertname = "Waiting"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000000 per 1h, maxRunsPerTarget: 1000000 per 1h, group: '', maxWait: 1h, storm: 'off' }
steps:
  - name: hold
    http: { path: "/hold", timeout: 10m }
`;

/** Total calls of every command Redis has run, from INFO commandstats. */
async function totalCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) total += Number(m[1]);
  return total;
}

export interface WaitingResult {
  runs: number;
  commandsPerSecond: number;
  seconds: number;
}

export async function measureWaiting(
  runs: number,
  seconds: number,
  env: Record<string, string> = {},
): Promise<WaitingResult> {
  const target = await startHttpTarget();
  target.respond(200, '{}', {}, 15 * 60_000);
  const svc = await startTestService({
    runbooks: { 'waiting.yaml': RUNBOOK },
    inventory: httpInventory({ [target.baseUrl]: ['hold-1'] }),
    env: { REMEDIATOR_LOG_LEVEL: 'warn', ...env },
  });
  const redis = new Redis(svc.redis.url);
  try {
    const alerts = Array.from({ length: runs }, (_, i) => ({
      labels: { alertname: 'Waiting', instance: 'hold-1', n: String(i) },
    }));
    const res = await svc.post('/hooks/alertmanager', payload(alerts));
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    // Let every run reach the gate once and settle into waiting (its job delayed), then a little more.
    const settle = Date.now() + 180_000;
    while ((await redis.zcard('remediator:runs:delayed')) < runs - 1 && Date.now() < settle)
      await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => setTimeout(r, 2000));
    const before = await totalCalls(redis);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const calls = (await totalCalls(redis)) - before - 2;
    return { runs, seconds, commandsPerSecond: calls / ((Date.now() - t0) / 1000) };
  } finally {
    await redis.quit();
    await svc.stop();
    await target.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv[2] ?? 5000);
  const seconds = Number(process.argv[3] ?? 10);
  const result = await measureWaiting(runs, seconds);
  console.log(
    `${result.runs} runs waiting: ${result.commandsPerSecond.toFixed(0)} Redis commands/s ` +
      `(${(result.commandsPerSecond / result.runs).toFixed(3)} per waiting run), over ${result.seconds} s`,
  );
  process.exit(0);
}
