import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EPHEMERAL,
  PICK_FLOOR,
  canListen,
  ephemeralRange,
  freePort,
  pickRanges,
  randomPortIn,
} from '../../../src/redis/free-port.ts';

describe('ephemeralRange', () => {
  it('reads the two numbers of ip_local_port_range', () => {
    expect(ephemeralRange(() => '32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralRange(() => '49152 65535')).toEqual({ low: 49152, high: 65535 });
  });

  it("falls back to Linux's default when the file is missing or odd", () => {
    const missing = () => {
      throw new Error('ENOENT');
    };
    expect(ephemeralRange(missing)).toEqual(DEFAULT_EPHEMERAL);
    expect(ephemeralRange(() => 'garbage')).toEqual(DEFAULT_EPHEMERAL);
    expect(ephemeralRange(() => '60000 1000')).toEqual(DEFAULT_EPHEMERAL);
  });
});

describe('pickRanges', () => {
  it('takes what lies below and above the ephemeral range, from the floor up', () => {
    expect(pickRanges({ low: 32768, high: 60999 })).toEqual([
      { low: PICK_FLOOR, high: 32767 },
      { low: 61000, high: 65535 },
    ]);
    expect(pickRanges({ low: 49152, high: 65535 })).toEqual([{ low: PICK_FLOOR, high: 49151 }]);
    expect(pickRanges({ low: 1024, high: 65535 })).toEqual([]);
  });
});

describe('randomPortIn', () => {
  const ranges = [
    { low: 10_000, high: 10_001 },
    { low: 20_000, high: 20_000 },
  ];
  it('covers every port of every range, and nothing else', () => {
    expect(randomPortIn(ranges, () => 0)).toBe(10_000);
    expect(randomPortIn(ranges, () => 0.4)).toBe(10_001);
    expect(randomPortIn(ranges, () => 0.99)).toBe(20_000);
  });
});

describe('freePort', () => {
  it('never returns a port inside the ephemeral range, nor below the floor', async () => {
    const ephemeral = ephemeralRange();
    const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(PICK_FLOOR);
      expect(port >= ephemeral.low && port <= ephemeral.high).toBe(false);
    }
  });

  it('returns ports that can be bound, and never the same one twice in a process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 100; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports.slice(0, 20)) expect(await canListen(port)).toBe(true);
  });

  it('canListen says no for a port somebody listens on', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    try {
      expect(await canListen((server.address() as AddressInfo).port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
