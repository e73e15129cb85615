import { describe, expect, it } from 'vitest';
import {
  closeRedis,
  createCommandClient,
  createWorkerClient,
  reconnectDelay,
} from '../../../src/redis/connect.ts';

const log = { warn: () => undefined };

describe('reconnectDelay', () => {
  it('doubles from 100 ms and stays under the cap forever', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, middle))).toEqual([
      100, 200, 400, 800, 1600, 2000,
    ]);
    expect(reconnectDelay(10_000, middle)).toBe(2000);
  });

  it('jitters by at most 20%', () => {
    expect(reconnectDelay(20, () => 0)).toBe(1600);
    expect(reconnectDelay(20, () => 0.999_999)).toBe(2400);
  });
});

describe('createRedis', () => {
  it('refuses a URL that is not redis:// or rediss://, without echoing the password', () => {
    expect(() => createCommandClient('http://:hunter2@localhost:6379', log)).toThrowError(
      expect.objectContaining({
        code: 'E_CONFIG',
        message: expect.stringMatching(/^Redis URL "http:\/\/\*\*\*@localhost:6379" is not valid/),
      }),
    );
    expect(() => createCommandClient('localhost:6379', log)).toThrow(/not valid/);
  });

  it('follows the primary through Sentinel: failover detection, READONLY means reconnect', async () => {
    const command = createCommandClient('redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/main/1', log);
    try {
      expect(command.options).toMatchObject({
        sentinels: [
          { host: '127.0.0.1', port: 1 },
          { host: '127.0.0.1', port: 2 },
        ],
        name: 'main',
        password: 'pw',
        db: 1,
        failoverDetector: true,
        enableOfflineQueue: false,
        connectionName: 'remediator:command',
      });
      const reconnect = command.options.reconnectOnError!;
      expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(2);
      expect(reconnect(new Error('ERR unknown command'))).toBe(false);
    } finally {
      await closeRedis(command);
    }
  });

  it('gives each role the options it needs', async () => {
    const command = createCommandClient('redis://:pw@127.0.0.1:1/3', log);
    const worker = createWorkerClient('rediss://127.0.0.1:1', log);
    try {
      expect(command.options).toMatchObject({
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        password: 'pw',
        db: 3,
        connectionName: 'remediator:command',
      });
      expect(command.options.commandTimeout).toBeGreaterThan(0);
      expect(worker.options).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      expect(worker.options.commandTimeout).toBeUndefined();
      expect(worker.options.tls).toBeDefined();
    } finally {
      await Promise.all([closeRedis(command), closeRedis(worker)]);
    }
  });
});
