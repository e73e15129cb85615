import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { preferredPort } from '../../demo/stack/ports.ts';
import { freePort } from '../harness/ports.ts';

/** npm run demo's port choice: the usual port when free, another one when something holds it. */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const hold = (port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once('error', reject);
    server.listen({ port, host }, resolve);
  });

describe('preferredPort', () => {
  it('takes the port when it is free, and a free one with random', async () => {
    const port = await freePort();
    expect(await preferredPort(port)).toBe(port);
    expect(await preferredPort(port, true)).not.toBe(port);
  });

  it('takes another port when something listens on it, on loopback or on every interface', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const port = await freePort();
      await hold(port, host);
      const chosen = await preferredPort(port);
      expect({ host, same: chosen === port }).toEqual({ host, same: false });
      expect(chosen).toBeGreaterThan(0);
    }
  });
});
