import { canListen, freePort } from '../../src/redis/free-port.ts';

/**
 * `port` when nothing listens on it on 127.0.0.1 right now, else a free one, so `npm run demo` uses the
 * ports the README and inventory.yaml name (8081, 9787, ...) when it can, and still starts beside a
 * second demo or anything else that holds them. With `random`, always a free port.
 */
export async function preferredPort(port: number, random = false): Promise<number> {
  if (!random && (await canListen(port))) return port;
  return freePort();
}
