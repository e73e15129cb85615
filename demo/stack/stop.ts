import type { ChildProcess } from 'node:child_process';

/** SIGTERM, then SIGKILL if the process has not exited after `killAfterMs`; returns once it exited. */
export async function stopProcess(child: ChildProcess, killAfterMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
