import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Sends PING over a bare socket, after AUTH when the server needs a `password`. A raw probe rather
 * than an ioredis client because a server that is still loading its AOF answers `-LOADING`, which
 * must read as "not yet" instead of an error, and because nothing here should keep reconnecting
 * after the answer.
 *
 * @returns true only for `+PONG` (and `+OK` to the AUTH before it)
 */
export function answersPing(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 1_000,
  password?: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const commands = password === undefined ? [['PING']] : [['AUTH', password], ['PING']];
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(commands.map(encodeCommand).join('')));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      const lines = reply.split('\r\n');
      if (lines.length <= commands.length) return; // not every reply is complete yet
      const pong = lines[commands.length - 1]!.startsWith('+PONG');
      done(pong && (password === undefined || lines[0] === '+OK'));
    });
    socket.once('close', () => done(false));
  });
}

/** RESP array of bulk strings: safe for any byte in a password, unlike an inline command. */
function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Polls `check` every 50 ms until it holds, `timeoutMs` passes, or `gaveUp()` says it never will
 * (the server process exited).
 *
 * @returns true when `check` held in time
 */
export async function pollUntil(
  check: (remainingMs: number) => Promise<boolean>,
  timeoutMs: number,
  gaveUp: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    if (await check(Math.max(1, deadline - Date.now()))) return true;
    await sleep(50);
  }
  return false;
}

/** Waits until a Redis on `host:port` answers PING; false after `timeoutMs`. */
export function waitForPing(
  port: number,
  timeoutMs: number,
  host = '127.0.0.1',
  password?: string,
): Promise<boolean> {
  return pollUntil((remaining) => answersPing(port, host, Math.min(1_000, remaining), password), timeoutMs);
}
