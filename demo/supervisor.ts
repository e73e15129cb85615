/**
 * Runs the demo fleet until SIGTERM/SIGINT:
 *
 *   node demo/supervisor.ts [demo/fleet.yaml] [--state-dir data/demo/run] [--host 127.0.0.1]
 *
 * `--host` is the address every instance listens on (0.0.0.0 in the docker-compose fleet container).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_STATE_DIR, loadFleet } from './fleet.ts';
import { startSupervisor } from './supervise.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const fleet = await loadFleet(positionals[0] ?? new URL('./fleet.yaml', import.meta.url).pathname);
  const supervisor = startSupervisor({ fleet, stateDir: values['state-dir'], host: values.host });
  const stop = async () => {
    await supervisor.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`demo supervisor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
