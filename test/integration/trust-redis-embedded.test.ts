import { readFile, stat, writeFile, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.ts';
import { answersPing } from '../../src/redis/probe.ts';

/**
 * The attacker is another local user: the embedded Redis listens on loopback, which every account on
 * the machine can reach. Without the password they must get nothing, and the password must not show
 * in `ps` nor in a file they can read.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-trust-redis-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function embedded(dataDir: string, log?: (msg: string) => void): Promise<EmbeddedRedis> {
  const server = await startEmbeddedRedis({ dataDir, ...(log ? { log } : {}) });
  cleanups.push(() => server.stop());
  return server;
}

/** What a local attacker gets: connect to the port, send a command, read the first reply line. */
function anonymousReply(port: number, command = 'GET remediator:approvals:secret'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.setTimeout(3_000, () => socket.destroy(new Error('no reply within 3 s')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      resolve(reply.slice(0, reply.indexOf('\r\n')));
    });
  });
}

describe('the embedded Redis requires a password', () => {
  it('refuses a client without the password (NOAUTH) and answers one with it', async () => {
    const server = await embedded(await tempDir());
    expect(await anonymousReply(server.port)).toBe('-NOAUTH Authentication required.');
    expect(await anonymousReply(server.port, 'KEYS *')).toMatch(/^-NOAUTH/);
    expect(await answersPing(server.port)).toBe(false);
    expect(await answersPing(server.port, '127.0.0.1', 1_000, 'not-the-password')).toBe(false);
    expect(await answersPing(server.port, '127.0.0.1', 1_000, server.password)).toBe(true);
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    cleanups.push(async () => client.disconnect());
    expect(await client.ping()).toBe('PONG');
  });

  it('keeps the password in a 0600 file in a 0700 directory, and off the command line', async () => {
    const dataDir = await tempDir();
    await chmod(dataDir, 0o755); // as mkdtemp under a careless umask might leave it
    const server = await embedded(dataDir);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const file = join(dataDir, 'redis.password');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(server.password);
    expect(server.password).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(dataDir, 'redis-auth.conf'))).mode & 0o777).toBe(0o600);
    const cmdline = await readFile(`/proc/${server.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('redis-server');
    expect(cmdline).not.toContain(server.password);
    const environ = await readFile(`/proc/${server.pid}/environ`, 'utf8');
    expect(environ).not.toContain(server.password);
  });

  it('keeps the same password across restarts and still stops its orphan', async () => {
    const dataDir = await tempDir();
    const orphan = await embedded(dataDir); // never stopped: a crashed remediator's server
    const messages: string[] = [];
    const second = await embedded(dataDir, (msg) => void messages.push(msg));
    expect(messages[0]).toContain(`stopping orphaned redis-server (pid ${orphan.pid})`);
    expect(second.password).toBe(orphan.password);
    expect(await anonymousReply(second.port)).toMatch(/^-NOAUTH/);
  });

  it('tightens a password file others could read, and says so', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'redis.password'), 'a-password-set-by-hand-0123\n', { mode: 0o644 });
    await chmod(join(dataDir, 'redis.password'), 0o644);
    const messages: string[] = [];
    const server = await embedded(dataDir, (msg) => void messages.push(msg));
    expect(server.password).toBe('a-password-set-by-hand-0123');
    expect((await stat(join(dataDir, 'redis.password'))).mode & 0o777).toBe(0o600);
    expect(messages).toContain(
      `${join(dataDir, 'redis.password')} was readable by other users (mode 644); set it to 0600`,
    );
  });

  it('refuses a password file it cannot use, naming it', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'redis.password'), 'short\n', { mode: 0o600 });
    await expect(startEmbeddedRedis({ dataDir })).rejects.toMatchObject({
      code: 'E_REDIS_AUTH',
      message:
        `${join(dataDir, 'redis.password')}: not a usable Redis password ` +
        '(16 or more of A-Z a-z 0-9 _ . ~ + / = -); delete it and a new one is made at the next start',
    });
  });
});
