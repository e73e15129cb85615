/**
 * A loopback relay for Alertmanager's cluster gossip (memberlist: UDP packets and TCP streams on one
 * port), so a test can cut the link between two peers and mend it while both keep running. Each peer
 * advertises the relay's port instead of its own; while `blocked`, the relay drops every packet and
 * refuses every stream, which is what a network partition looks like to memberlist.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface GossipRelay {
  /** Port peers send to (the peer's advertised port). */
  readonly port: number;
  /** Drop everything from now on, and cut open streams. */
  block(): void;
  unblock(): void;
  readonly blocked: boolean;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:`port` (TCP and UDP) to 127.0.0.1:`targetPort`. */
export async function startGossipRelay(port: number, targetPort: number): Promise<GossipRelay> {
  let blocked = false;
  const streams = new Set<Socket>();
  const tcp: Server = createServer((incoming) => {
    if (blocked) return void incoming.destroy();
    const outgoing = connect({ host: '127.0.0.1', port: targetPort });
    for (const [a, b] of [
      [incoming, outgoing],
      [outgoing, incoming],
    ] as const) {
      streams.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        streams.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  const udp: UdpSocket = createSocket('udp4');
  const out: UdpSocket = createSocket('udp4');
  udp.on('message', (packet) => {
    if (!blocked) out.send(packet, targetPort, '127.0.0.1');
  });
  udp.on('error', () => undefined);
  out.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => out.bind({ address: '127.0.0.1', port: 0 }, () => resolve()));
  return {
    port,
    get blocked() {
      return blocked;
    },
    block() {
      blocked = true;
      for (const socket of streams) socket.destroy();
    },
    unblock() {
      blocked = false;
    },
    async close() {
      blocked = true;
      for (const socket of streams) socket.destroy();
      udp.close();
      out.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
