import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RemediatorError } from '../errors.ts';
import { ensureRedisPassword, writeAuthConfig } from './embedded-auth.ts';
import { freePort } from './free-port.ts';
import { readPid, stopOrphanRedis } from './orphan.ts';
import { answersPing, pollUntil } from './probe.ts';

export interface EmbeddedRedisOptions {
  /** Holds the append-only file, `redis.log`, `redis.pid` and `redis.password`; kept at mode 0700. */
  dataDir: string;
  /** The binary: a path, or a name looked up on PATH. @defaultValue `'redis-server'` */
  redisServer?: string;
  /** Port on 127.0.0.1. @defaultValue a free port outside the ephemeral range (never 6379), another one when it is taken */
  port?: number;
  /**
   * Picks the next port to try when `port` is not given; called again after "address in use".
   * @defaultValue freePort()
   */
  pickPort?: () => Promise<number>;
  /** Receives one line per lifecycle event (start, orphan stopped, unexpected exit). @defaultValue discard */
  log?: (msg: string) => void;
  /** How long to wait for PING; loading a large AOF takes a while. @defaultValue `10_000` */
  startTimeoutMs?: number;
  /** How long stop() waits for a clean exit before SIGKILL. @defaultValue `10_000` */
  stopTimeoutMs?: number;
}

export interface EmbeddedRedis {
  /** `redis://:<password>@127.0.0.1:<port>`: holds the password, so never log it (see redactRedisUrl). */
  url: string;
  /** What `requirepass` asks for; kept in `<dataDir>/redis.password` (mode 0600). */
  password: string;
  port: number;
  pid: number;
  /** Shuts the server down (SIGTERM, so the AOF is fsynced) and waits for it; safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'install it (Debian/Ubuntu: `sudo apt-get install redis-server`) or set REDIS_URL to an existing Redis';
const PORT_ATTEMPTS = 10;

type Launch = { ok: true; server: EmbeddedRedis } | { ok: false; error: RemediatorError; portTaken: boolean };

/**
 * Runs a private redis-server for remediator: loopback only, durable (AOF, fsync every second) and
 * with `noeviction`, because BullMQ loses jobs and locks when Redis evicts keys.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dataDir = resolve(opts.dataDir);
  const executable = opts.redisServer ?? 'redis-server';
  const log = opts.log ?? (() => {});
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await stopOrphanRedis(join(dataDir, 'redis.pid'), dataDir, executable, log);
  // Any local user can reach a loopback port: without a password they could read and rewrite runs.
  const password = await ensureRedisPassword(dataDir, log);
  const authConfig = await writeAuthConfig(dataDir, password);
  for (let attempt = 1; ; attempt++) {
    // A port picked by freePort() can be taken before redis binds it; only then is a retry useful.
    const port = opts.port ?? (await (opts.pickPort ?? freePort)());
    const launched = await launch({ ...opts, dataDir, executable, log, port, password, authConfig });
    if (launched.ok) return launched.server;
    if (!launched.portTaken || opts.port !== undefined || attempt >= PORT_ATTEMPTS) throw launched.error;
    log(`port ${port} was taken before redis-server could bind it; trying another`);
  }
}

interface LaunchOptions {
  dataDir: string;
  executable: string;
  log: (msg: string) => void;
  port: number;
  password: string;
  /** Config file holding `requirepass`, so the password stays off the command line (`ps`). */
  authConfig: string;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

async function launch(o: LaunchOptions): Promise<Launch> {
  const logFile = join(o.dataDir, 'redis.log');
  const logOffset = await stat(logFile).then(
    (s) => s.size,
    () => 0,
  );
  // Own process group: a Ctrl+C meant for remediator must not stop Redis while workers drain.
  const child = spawn(o.executable, [o.authConfig, ...redisArgs(o.dataDir, o.port)], {
    cwd: o.dataDir,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = collectTail(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const pid = await spawned(child, o.executable);
  const pidFile = join(o.dataDir, 'redis.pid');
  const startTimeoutMs = o.startTimeoutMs ?? 10_000;
  // The password goes to the port only once our child says it listens there: another local user who
  // reads `--port N` from the process list can bind N first, and would be sent AUTH <password>. Our
  // child's "Ready to accept connections" (its pid leads the line) in the 0700 directory's log means
  // it holds the port; the pidfile check then makes sure the PONG came from it.
  const ours = async (remaining: number): Promise<boolean> =>
    readyLogged(await readFrom(logFile, logOffset), pid) &&
    (await answersPing(o.port, '127.0.0.1', Math.min(1_000, remaining), o.password)) &&
    (await readPid(pidFile)) === pid;
  if (await pollUntil(ours, startTimeoutMs, () => hasExited(child))) {
    o.log(`redis-server (pid ${pid}) listening on 127.0.0.1:${o.port}, data in ${o.dataDir}`);
    return { ok: true, server: running(child, exited, pid, o) };
  }
  const status = describeExit(child);
  await terminate(child, exited, 2_000);
  const output = `${await readFrom(logFile, logOffset)}${stderr()}`;
  const message =
    `redis-server (${o.executable}) did not answer PING on 127.0.0.1:${o.port} within ${startTimeoutMs} ms ` +
    `(${status}); last lines of ${logFile} and stderr:\n${lastLines(output, 20)}`;
  const error = new RemediatorError('E_REDIS', message);
  return { ok: false, error, portTaken: /already in use/i.test(output) };
}

function running(child: ChildProcess, exited: Promise<void>, pid: number, o: LaunchOptions): EmbeddedRedis {
  let stopping: Promise<void> | undefined;
  void exited.then(() => {
    if (stopping !== undefined) return;
    o.log(
      `redis-server (pid ${pid}) exited unexpectedly (${describeExit(child)}); see ${o.dataDir}/redis.log`,
    );
  });
  const stop = (): Promise<void> => (stopping ??= terminate(child, exited, o.stopTimeoutMs ?? 10_000));
  const url = `redis://:${encodeURIComponent(o.password)}@127.0.0.1:${o.port}`;
  return { url, password: o.password, port: o.port, pid, stop };
}

/** Options as arguments, so no config file can drift from what remediator relies on (all but the password). */
function redisArgs(dataDir: string, port: number): string[] {
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes'],
    ...['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'everysec'],
    // The AOF is the persistence; RDB snapshots would only add forks and a second copy on disk.
    ...['--save', ''],
    ...['--maxmemory-policy', 'noeviction'],
    ...['--logfile', join(dataDir, 'redis.log'), '--pidfile', join(dataDir, 'redis.pid')],
    ...['--daemonize', 'no'],
  ];
}

/** Resolves with the pid once the process exists; a missing binary shows up here as ENOENT. */
function spawned(child: ChildProcess, executable: string): Promise<number> {
  return new Promise((done, fail) => {
    child.once('spawn', () => done(child.pid ?? 0));
    // on(), not once(): a later 'error' (a failed kill) must not go unhandled and crash the process.
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        fail(
          new RemediatorError(
            'E_REDIS_MISSING',
            `${executable} not found or not executable: ${INSTALL_HINT}`,
            { cause: err },
          ),
        );
      } else {
        fail(new RemediatorError('E_REDIS', `could not run ${executable}: ${err.message}`, { cause: err }));
      }
    });
  });
}

/** Has redis-server `pid` logged that it accepts connections (it bound its port)? */
function readyLogged(log: string, pid: number): boolean {
  return log
    .split('\n')
    .some((line) => line.startsWith(`${pid}:M `) && line.includes('Ready to accept connections'));
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function terminate(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<void> {
  if (hasExited(child)) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((done) => (timer = setTimeout(() => done(true), timeoutMs)));
  const gaveUp = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (gaveUp) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Keeps the last 4 KiB of stderr: redis reports bad arguments there before its log file opens. */
function collectTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4096);
  });
  return () => tail;
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(Math.max(0, size - offset), 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.length === 1 && lines[0] === '' ? '(nothing)' : lines.slice(-count).join('\n');
}

function describeExit(child: ChildProcess): string {
  if (child.signalCode !== null) return `killed by ${child.signalCode}`;
  return child.exitCode === null ? 'still running' : `exit code ${child.exitCode}`;
}
