import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { startEmbeddedRedis } from '../../src/redis/embedded.ts';
import { freePort } from '../../src/redis/free-port.ts';

/**
 * Another local user reads `redis-server … --port N` in the process list (any user can read
 * /proc/PID/cmdline) and binds 127.0.0.1:N before redis-server does, which takes it milliseconds.
 * remediator then PINGs that port with AUTH <password>: the attacker had the password, and the
 * retried Redis on the next port (`ss -ltn` shows it) was theirs. Here the attacker has won that race
 * for sure: the first port remediator picks is already theirs.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** Listens on a port and keeps every byte a client sends it. */
async function eavesdropper(): Promise<{ port: number; heard: () => string }> {
  let heard = '';
  const server: Server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => (heard += chunk.toString('latin1')));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, heard: () => heard };
}

it('a local user who holds the port redis-server was told to bind is never sent the password', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'rm-race-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const attacker = await eavesdropper();
  const ports = [attacker.port];
  const messages: string[] = [];
  const server = await startEmbeddedRedis({
    dataDir,
    pickPort: async () => ports.shift() ?? freePort(),
    log: (msg) => messages.push(msg),
  });
  cleanups.push(() => server.stop());
  // The attack did happen: redis-server could not bind the attacker's port and moved on.
  expect(messages.join('\n')).toContain(`port ${attacker.port} was taken before redis-server could bind it`);
  expect(server.port).not.toBe(attacker.port);
  const password = (await readFile(join(dataDir, 'redis.password'), 'utf8')).trim();
  expect(password).toBe(server.password);
  expect(attacker.heard()).not.toContain(password);
  expect(attacker.heard()).not.toContain('AUTH');
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  cleanups.push(async () => client.disconnect());
  expect(await client.ping()).toBe('PONG');
});
