import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to the next client chunk holding every one of `marks` (then it disarms). */
export type Cut =
  /** Closes both sides without sending the chunk on: Redis never sees it. */
  | 'before'
  /** Sends the first half of the chunk on, then closes both sides: Redis sees a torn transaction. */
  | 'midway'
  /** Sends the chunk on, waits for Redis to answer it, drops the answer and closes both sides. */
  | 'after';

export interface CutProxy {
  /** Connection URL for the service (the Redis URL with this proxy's port). */
  readonly url: string;
  /** Arms a one-shot cut of the first client chunk that contains every mark (case-insensitive). */
  arm(cut: Cut, marks: readonly string[]): void;
  /** True once the armed cut happened. */
  fired(): boolean;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a test Redis that cuts one connection at a chosen point of one command
 * batch: the way a Redis crash or a network break lands in the middle of a MULTI.
 */
export async function startCutProxy(redisUrl: string): Promise<CutProxy> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let armed: { cut: Cut; marks: string[] } | undefined;
  let fired = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    let dropReplies = false;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1').toLowerCase();
      const hit = armed && armed.marks.every((m) => text.includes(m));
      if (!hit || !armed) return void upstream.write(chunk);
      const { cut } = armed;
      armed = undefined;
      fired = true;
      if (cut === 'before') return kill();
      if (cut === 'midway')
        return void upstream.write(chunk.subarray(0, chunk.length >> 1), () => setTimeout(kill, 50));
      dropReplies = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dropReplies) return void client.write(chunk);
      kill();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(redisUrl);
  url.port = String(port);
  return {
    url: url.toString(),
    arm(cut, marks) {
      armed = { cut, marks: marks.map((m) => m.toLowerCase()) };
      fired = false;
    },
    fired: () => fired,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
