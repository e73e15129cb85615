/**
 * Redis for the scenarios, as an operator would run it for remediator: append-only file fsynced every
 * second, no eviction, on loopback. A server can be killed (SIGKILL) and started again on the same
 * port and data directory; or run as a Sentinel-watched primary with a replica and three Sentinels.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { answersPing } from '../../../src/redis/probe.ts';
import { freePort } from '../../harness/ports.ts';
import { startProc, type Proc } from './proc.ts';
import { until } from './wait.ts';

export interface RedisServer {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  proc: Proc;
  /** SIGKILL: no shutdown, no last fsync. Resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (it loads its append-only file). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  readonly dir: string;
  readonly name?: string;
  readonly port?: number;
  /** `host port` of the primary to replicate. */
  readonly replicaOf?: string;
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const name = options.name ?? 'redis';
  const port = options.port ?? (await freePort());
  const dataDir = join(options.dir, name);
  await mkdir(dataDir, { recursive: true });
  const launch = () =>
    startProc({
      name,
      command: 'redis-server',
      args: [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir],
        ...['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
        ...['--maxmemory-policy', 'noeviction'],
        // A replica's full sync starts at once (Redis waits 5 s by default for more replicas to join).
        ...['--repl-diskless-sync-delay', '0'],
        ...(options.replicaOf ? ['--replicaof', ...options.replicaOf.split(' ')] : []),
      ],
      logFile: join(options.dir, `${name}.log`),
      ready: () => answersPing(port),
      readyTimeoutMs: 20_000,
    });
  const server: RedisServer = {
    name,
    port,
    url: `redis://127.0.0.1:${port}`,
    dataDir,
    proc: await launch(),
    async kill() {
      server.proc.signal('SIGKILL');
      await server.proc.exited;
    },
    async restart() {
      server.proc = await launch();
    },
    stop: () => server.proc.stop(),
  };
  return server;
}

export interface SentinelGroup {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: readonly Proc[];
  readonly sentinelPorts: readonly number[];
  /** `redis+sentinel://...` for remediator. */
  readonly url: string;
  readonly masterName: string;
  /** `host:port` of the primary as the first Sentinel that answers names it. */
  currentPrimary(): Promise<string>;
  stop(): Promise<void>;
}

const MASTER = 'remediator';

/**
 * A primary, one replica and three Sentinels (quorum 2), all on loopback, tuned to notice a dead
 * primary within a second and finish a failover within a few.
 */
export async function startSentinelGroup(dir: string): Promise<SentinelGroup> {
  const primary = await startRedisServer({ dir, name: 'redis-primary' });
  const replica = await startRedisServer({
    dir,
    name: 'redis-replica',
    replicaOf: `127.0.0.1 ${primary.port}`,
  });
  await until('the replica to sync', 20_000, async () =>
    (await info(replica.port)).includes('master_link_status:up'),
  );
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinels: Proc[] = [];
  for (const [index, port] of sentinelPorts.entries()) {
    const config = join(dir, `sentinel-${index + 1}.conf`);
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${MASTER} 1000`,
        `sentinel failover-timeout ${MASTER} 5000`,
        `sentinel parallel-syncs ${MASTER} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(
      await startProc({
        name: `sentinel-${index + 1}`,
        command: 'redis-sentinel',
        args: [config],
        logFile: join(dir, `sentinel-${index + 1}.log`),
        ready: () => answersPing(port),
      }),
    );
  }
  const group: SentinelGroup = {
    primary,
    replica,
    sentinels,
    sentinelPorts,
    masterName: MASTER,
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER}`,
    async currentPrimary() {
      for (const port of sentinelPorts) {
        const reply = await command(port, `SENTINEL get-master-addr-by-name ${MASTER}`).catch(() => '');
        const [host, p] = reply.split('\r\n').filter((l) => l && !/^[*$]/.test(l));
        if (host && p) return `${host}:${p}`;
      }
      throw new Error('no Sentinel names a primary');
    },
    async stop() {
      for (const s of sentinels) await s.stop();
      await replica.stop();
      await primary.stop();
    },
  };
  // Every Sentinel must know the replica (and the others) before a failover can work.
  await until('the Sentinels to see the replica and each other', 30_000, async () => {
    for (const port of sentinelPorts) {
      const reply = await command(port, `SENTINEL master ${MASTER}`);
      const fields = reply.split('\r\n').filter((l) => l && !/^[*$]/.test(l));
      const value = (key: string) => fields[fields.indexOf(key) + 1];
      if (value('num-slaves') !== '1' || value('num-other-sentinels') !== '2') return false;
    }
    return true;
  });
  return group;
}

/** INFO replication of the server on `port`. */
export function info(port: number): Promise<string> {
  return command(port, 'INFO replication');
}

/** One inline command over a bare socket; resolves with the raw reply once it stops arriving. */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setTimeout(2000, () => socket.destroy(new Error(`no answer from 127.0.0.1:${port}`)));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        resolve(reply);
      }, 50);
    });
  });
}
