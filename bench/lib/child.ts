import { fork, type ChildProcess } from 'node:child_process';

/** A helper process started by the bench (bare fastify, no-op target, matching), driven over IPC. */
export interface Child {
  readonly pid: number;
  /** What the child announced when it was ready (usually its URL). */
  readonly url: string;
  call<T>(cmd: string, arg?: unknown): Promise<T>;
  /** Asks the child to stop, then kills it if it has not exited within 5 s. */
  stop(): Promise<void>;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Forks `script` (TypeScript, run by Node's type stripping) with an IPC channel and waits for its `{ ready }` message. */
export async function forkChild(script: URL, args: string[] = [], execArgv: string[] = []): Promise<Child> {
  const child = fork(script, args, {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`${script.pathname} exited (${code}) before it was ready`)),
    );
    child.on('message', (msg: { ready?: string } & Partial<Reply>) => {
      if (msg.ready !== undefined) resolve(msg.ready);
      else if (msg.id !== undefined) pending.get(msg.id)?.(msg as Reply);
    });
  });
  child.removeAllListeners('exit');
  return {
    pid: child.pid!,
    url,
    call<T>(cmd: string, arg?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, (reply) => {
          pending.delete(id);
          if (reply.ok) resolve(reply.value as T);
          else reject(new Error(`${script.pathname} ${cmd}: ${reply.error}`));
        });
        child.send({ id, cmd, arg });
      });
    },
    stop: () => stopChild(child, () => child.send({ id: 0, cmd: 'stop' })),
  };
}

/** Sends the stop request, waits for the exit, kills the process after 5 s. */
export async function stopChild(child: ChildProcess, request: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    request();
  } catch {
    child.kill('SIGKILL');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

type Handler = (arg: unknown) => unknown;

/** The child side: announces `ready`, answers `{ id, cmd, arg }` requests, exits on `stop`. */
export function serveIpc(
  ready: string,
  handlers: Record<string, Handler>,
  onStop: () => Promise<void>,
): void {
  const send = (msg: unknown) => process.send?.(msg);
  process.on('message', (msg: { id: number; cmd: string; arg?: unknown }) => {
    if (msg.cmd === 'stop') {
      void onStop().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[msg.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.cmd}`);
        return handler(msg.arg);
      })
      .then(
        (value) => send({ id: msg.id, ok: true, value }),
        (err: unknown) => send({ id: msg.id, ok: false, error: String(err) }),
      );
  });
  // The parent went away (Ctrl-C, crash): do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ ready });
}
