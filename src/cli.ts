import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from './errors.ts';
import { readSettings } from './config/settings.ts';
import { dryRun, formatDryRun } from './cli/dry-run.ts';
import { validateFiles } from './cli/validate.ts';
import { openPolicyView } from './cli/policy-view.ts';
import { pauseCommand } from './cli/pause.ts';
import { approveCommand } from './cli/approve.ts';
import { backtestCommand } from './cli/backtest.ts';
import { startService, type Mode, type Service } from './main.ts';

const USAGE = `usage: remediator <command> [options]

commands:
  serve                      webhook, API and worker in one process (spawns redis-server when REDIS_URL is unset)
  worker                     worker only (scale out over one Redis); serves /healthz, /readyz, /metrics
  validate [paths...]        check runbooks (files or directories; default: $REMEDIATOR_RUNBOOKS_DIR)
           [--inventory F]   and the inventory (default: $REMEDIATOR_INVENTORY); exit 1 with file:line errors
  test <payload.json>        dry run: which runbooks match each alert, the exact steps that would run,
           [--json] [--fresh]  and the policy decisions (live state at REDIS_URL, or a clean one with --fresh)
  pause --match M... --for D --comment C   pause remediation of matching alerts (no --match: everything)
           [--until ISO] [--by NAME] [--url URL]
  pauses [--json]            list pauses
  unpause <id>               expire a pause now
  approve <run-id> [--comment C]   approve a run's latest approval request (printed)
           [--request ID]          ... or exactly this request (refused if the run asked again since)
  deny <run-id> --reason R         deny it (the run ends skipped: approval_denied)
  backtest --prometheus URL --from T [--to T]   what the runbooks would have done with the alerts
           [--runbooks DIR] [--inventory F]     Prometheus recorded (ALERTS): replayed through the real
           [--outcome history|always-succeed|always-fail]   matching and policy on a throwaway state
           [--pause MATCHER]... [--json] [--html FILE]     (never Redis); T: RFC 3339, now, -30d, -6h

Settings come from environment variables; see README.md.`;

type Out = { out: (s: string) => void; err: (s: string) => void };
const stdio: Out = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

/** Runs the command line; resolves to the exit code (serve/worker resolve when stopped). */
export async function main(argv: readonly string[], io: Out = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
      case 'worker':
        return await serve(command, io);
      case 'validate':
        return await validate(rest, io);
      case 'test':
        return await test(rest, io);
      case 'pause':
      case 'pauses':
      case 'unpause':
        return await pauseCommand(command, rest, readSettings(process.env), io);
      case 'backtest':
        return await backtestCommand(rest, { env: process.env, fetch, now: Date.now, ...io });
      case 'approve':
      case 'deny':
        return await approveCommand(command, rest, readSettings(process.env), io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`remediator: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.problems.join('\n'));
      return 1;
    }
    io.err(`remediator: ${errorMessage(err)}`);
    return 1;
  }
}

async function serve(mode: Mode, io: Out): Promise<number> {
  const settings = readSettings(process.env);
  // Handlers go in before anything starts: a signal while runbooks load or redis-server starts must
  // stop what was started, not kill the process by default and leave the embedded Redis behind.
  // Repeats are ignored, not fatal: under `npm start` a Ctrl+C reaches the service twice (from the
  // terminal and forwarded by npm), and the second must not cut the drain short.
  let received: NodeJS.Signals | undefined;
  let wake = () => {};
  const handler = (signal: NodeJS.Signals) => {
    if (received !== undefined) return;
    received = signal;
    wake();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  let service: Service;
  try {
    service = await startService(settings, mode, process.env);
  } catch (err) {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
    throw err;
  }
  if (received === undefined) await new Promise<void>((resolve) => (wake = resolve));
  io.err(`remediator: ${received} received, draining`);
  try {
    await service.stop();
    return 0;
  } catch (err) {
    io.err(`remediator: error while stopping: ${errorMessage(err)}`);
    return 1;
  }
}

async function validate(args: readonly string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { inventory: { type: 'string' } },
  });
  const settings = readSettings(process.env);
  const paths = positionals.length > 0 ? positionals : [settings.runbooksDir];
  const inventory = values.inventory ?? settings.inventoryFile;
  const summary = await validateFiles(paths, inventory, process.env, settings.local);
  io.out(summary);
  return 0;
}

async function test(args: readonly string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, fresh: { type: 'boolean', default: false } },
  });
  const [payloadFile] = positionals;
  if (!payloadFile) {
    io.err('usage: remediator test <payload.json> [--json]');
    return 2;
  }
  const settings = readSettings(process.env);
  const view = await openPolicyView(settings, values.fresh ?? false);
  try {
    const report = await dryRun(payloadFile, settings, process.env, view?.view);
    io.out(values.json ? JSON.stringify(report, null, 2) : formatDryRun(report));
  } finally {
    await view?.close();
  }
  return 0;
}
