import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { logConnectionErrors } from '../../../src/redis/error-log.ts';

function setup(withInfo: boolean) {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const record = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const log = withInfo ? { warn: record('warn'), info: record('info') } : { warn: record('warn') };
  const client = new EventEmitter();
  let now = 0;
  logConnectionErrors(client, log, 'command', { intervalMs: 30_000, now: () => now });
  return { lines, client, advance: (ms: number) => (now += ms) };
}

describe('logConnectionErrors', () => {
  it('keeps an error event from crashing the process', () => {
    const { client } = setup(true);
    expect(() => client.emit('error', new Error('connect ECONNREFUSED'))).not.toThrow();
  });

  it('writes one line per interval during an outage and counts the rest', () => {
    const { lines, client, advance } = setup(true);
    for (let i = 0; i < 100; i++) {
      client.emit('error', new Error('connect ECONNREFUSED'));
      advance(500);
    }
    // 100 errors over 50 s: at 0 s and at 30 s.
    expect(lines.map((l) => [l.level, l.obj.suppressed])).toEqual([
      ['warn', 0],
      ['warn', 59],
    ]);
    expect(lines[0]?.msg).toBe('Redis command connection failing; reconnecting in the background');
  });

  it('says when the connection is back, with the errors it left out', () => {
    const { lines, client, advance } = setup(true);
    client.emit('ready');
    client.emit('error', new Error('a'));
    advance(1_000);
    client.emit('error', new Error('b'));
    client.emit('ready');
    expect(lines.map((l) => [l.level, l.msg, l.obj.suppressed])).toEqual([
      ['warn', 'Redis command connection failing; reconnecting in the background', 0],
      ['info', 'Redis command connection restored', 1],
    ]);
  });

  it('does not announce a recovery whose failure it never logged', () => {
    const { lines, client, advance } = setup(false);
    client.emit('error', new Error('a'));
    client.emit('ready');
    advance(1_000);
    client.emit('error', new Error('b')); // inside the interval: counted, not written
    client.emit('ready');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'Redis command connection failing; reconnecting in the background'],
      ['warn', 'Redis command connection restored'],
    ]);
  });
});
