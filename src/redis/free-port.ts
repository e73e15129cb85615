import { createServer } from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago. The kernel picks it (listen on port 0), so it
 * lies outside the well-known ports, in particular never 6379, where Debian's own redis-server
 * service listens. Another process may still take it before the caller binds: callers that can
 * retry on "address in use" should.
 *
 * @param host interface to probe; @defaultValue `'127.0.0.1'`
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}
