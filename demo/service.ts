/**
 * Runs one demo service instance:
 *
 *   node demo/service.ts --service user-service --instance 1 --port 8081 --state-dir data/demo/run
 *     [--host 127.0.0.1]
 *
 * Writes its pid to `<state-dir>/<service>-<instance>.pid` (what demo-restart kills) and stops
 * on SIGTERM/SIGINT.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_STATE_DIR, pidFile } from './fleet.ts';
import { SERVICES, startDemoService, type ServiceName } from './server.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      service: { type: 'string' },
      instance: { type: 'string' },
      port: { type: 'string' },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const service = values.service as ServiceName;
  if (!SERVICES.includes(service)) throw new Error(`--service must be one of ${SERVICES.join(', ')}`);
  const instance = Number(values.instance);
  const port = Number(values.port);
  if (!Number.isInteger(instance) || instance < 1) throw new Error('--instance must be an integer >= 1');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
  const stateDir = values['state-dir'];

  const running = await startDemoService({ service, instance, port, host: values.host });
  await mkdir(stateDir, { recursive: true });
  const pidPath = pidFile(stateDir, service, instance);
  await writeFile(pidPath, `${process.pid}\n`);
  log({ msg: 'started', service, instance, port: running.port, pid: process.pid });

  const stop = async (signal: string) => {
    log({ msg: 'stopping', service, instance, signal });
    await running.close();
    // Leave a newer instance's pid file alone.
    const pid = await readFile(pidPath, 'utf8').catch(() => '');
    if (pid.trim() === String(process.pid)) await rm(pidPath, { force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo service: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
