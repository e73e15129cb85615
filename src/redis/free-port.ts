import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** An inclusive range of TCP port numbers. */
export interface PortRange {
  low: number;
  high: number;
}

/** Linux's default `net.ipv4.ip_local_port_range`, used where /proc does not say. */
export const DEFAULT_EPHEMERAL: PortRange = { low: 32768, high: 60999 };

/**
 * The lowest port handed out: above the ports well-known services listen on (Redis 6379, Prometheus
 * 9090, Alertmanager 9093/9094, remediator 9787, the demo's 8081...), so a picked port never shadows
 * one a README or inventory names.
 */
export const PICK_FLOOR = 10_000;

/**
 * The kernel's ephemeral range: the ports it takes for outbound connections' local ends and for
 * `listen(0)`. `read` is injectable for tests; anything unreadable or odd falls back to Linux's default.
 */
export function ephemeralRange(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): PortRange {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) {
      if (low >= 1 && low <= high && high <= 65535) return { low, high };
    }
  } catch {
    // No /proc (another OS, a sandbox): the Linux default is the best guess.
  }
  return DEFAULT_EPHEMERAL;
}

/**
 * Where picked ports come from: every port at or above PICK_FLOOR that lies outside the ephemeral
 * range. Empty only when the ephemeral range covers (almost) everything.
 */
export function pickRanges(ephemeral: PortRange): PortRange[] {
  const ranges: PortRange[] = [];
  if (ephemeral.low - 1 >= PICK_FLOOR) ranges.push({ low: PICK_FLOOR, high: ephemeral.low - 1 });
  const above = Math.max(PICK_FLOOR, ephemeral.high + 1);
  if (above <= 65535) ranges.push({ low: above, high: 65535 });
  return ranges;
}

/** A uniformly random port from `ranges` (which must not be empty). */
export function randomPortIn(ranges: readonly PortRange[], random: () => number = Math.random): number {
  const sizes = ranges.map((r) => r.high - r.low + 1);
  let index = Math.floor(random() * sizes.reduce((a, b) => a + b, 0));
  for (const [i, range] of ranges.entries()) {
    const size = sizes[i] ?? 0;
    if (index < size) return range.low + index;
    index -= size;
  }
  throw new Error('no port range to pick from');
}

const ATTEMPTS = 50;
/** Ports this process handed out recently: two callers in one process never get the same number. */
const recent = new Set<number>();
const RECENT_LIMIT = 2_000;

/**
 * A TCP port that is free on `host` now and lies outside the kernel's ephemeral range, so no
 * outbound connection (a scrape, a Redis client, gossip) can be holding it when the caller binds it
 * seconds or minutes later. A port from `listen(0)` would come from that range: with dozens of
 * long-lived connections on the machine, a port picked at start was found taken when a chaos
 * scenario bound it minutes later. Another process may still take the port before the caller binds:
 * callers that can retry on "address in use" should. Where no range is left outside the ephemeral
 * one, the kernel picks (port 0), as before.
 *
 * @param host interface to probe; @defaultValue `'127.0.0.1'`
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const ranges = pickRanges(ephemeralRange());
  if (ranges.length === 0) return kernelPort(host);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = randomPortIn(ranges);
    if (recent.has(port)) continue;
    if (await canListen(port, host)) {
      remember(port);
      return port;
    }
  }
  throw new Error(`no free port found on ${host} in ${ATTEMPTS} tries outside the ephemeral range`);
}

function remember(port: number): void {
  if (recent.size >= RECENT_LIMIT) recent.clear();
  recent.add(port);
}

/** Whether a listener could bind `port` on `host` right now (it is closed again at once). */
export function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function kernelPort(host: string): Promise<number> {
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
