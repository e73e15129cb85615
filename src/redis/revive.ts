import type { Redis } from 'ioredis';
import type { RedisLog } from './error-log.ts';

/**
 * ioredis ends a client for good when its connector is disconnected while it connects: its status
 * goes from `connecting` straight to `end`, and every command fails "Connection is closed." from then
 * on. With Sentinel its failover detector does exactly that when a promotion is announced while the
 * client is still reconnecting after its primary died (chaos scenario 10b: the webhook answered 503
 * for minutes, until the process was restarted). A client that ended this way without being closed
 * (ioredis's `manuallyClosing`, set by disconnect() and QUIT) is connected again after `delay`, the
 * backoff of its own reconnects.
 */
export function reviveCutConnects(
  client: Redis,
  log: RedisLog,
  role: string,
  delay: (attempt: number) => number,
): void {
  // ioredis's own flag (private in its types): set by disconnect() and QUIT.
  const closable = client as unknown as { manuallyClosing?: boolean };
  let last = '';
  let attempts = 0;
  for (const status of ['connecting', 'connect', 'ready', 'close', 'reconnecting'] as const) {
    client.on(status, () => {
      last = status;
      if (status === 'ready') attempts = 0;
    });
  }
  client.on('end', () => {
    if (last !== 'connecting' || closable.manuallyClosing === true) return;
    attempts += 1;
    log.warn(
      { connection: role, attempt: attempts },
      `Redis ${role} connection ended while connecting (a failover announced meanwhile): connecting again`,
    );
    const timer = setTimeout(() => {
      if (client.status === 'end' && closable.manuallyClosing !== true)
        client.connect().catch(() => undefined);
    }, delay(attempts));
    timer.unref();
  });
}
