/**
 * `npm run demo` as a child process for tests: started as a user would, ready when it prints its
 * `DEMO_READY {json}` line (demo/stack/ready.ts), stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathWithThisNode } from './proc-tree.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DemoFaultInfo {
  fault: string;
  title: string;
  service: string;
  instance: number;
  /** Inventory / `instance` label name, e.g. app-1:8081. */
  name: string;
  url: string;
  /** The command the demo prints, e.g. `curl -XPOST http://127.0.0.1:8081/fault/memory-leak`. */
  inject: string;
  alert: string;
  runbook: string;
}

export interface DemoReady {
  dir: string;
  urls: Record<'remediator' | 'docs' | 'prometheus' | 'alertmanager' | 'haproxy', string>;
  instances: Array<{ service: string; instance: number; name: string; url: string }>;
  faults: DemoFaultInfo[];
  haproxySocket: string;
  pids: Record<string, number>;
}

export interface RunningDemo {
  readonly child: ChildProcess;
  readonly ready: DemoReady;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM; resolves with the exit code, or 'timeout' if it has not exited within `timeoutMs`. */
  stop(timeoutMs: number): Promise<number | null | 'timeout'>;
}

export async function startDemo(args: readonly string[] = [], readyTimeoutMs = 90_000): Promise<RunningDemo> {
  // Through npm, as a user starts it: SIGTERM to npm's pid must stop everything the demo started.
  const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: pathWithThisNode(), npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<DemoReady>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`demo not ready within ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const line = output.split('\n').find((row) => row.startsWith('DEMO_READY '));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice('DEMO_READY '.length)) as DemoReady);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    void exited.then((code) =>
      reject(new Error(`demo exited (code ${code}) before it was ready:\n${output}`)),
    );
  });
  return {
    child,
    ready,
    output: () => output,
    stop: async (timeoutMs) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return Promise.race([exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    },
  };
}

/** Polls `probe` every 500 ms until it returns something other than undefined (errors count as not yet). */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

/** Values of one series over [start, now] from Prometheus' query_range, one per second. */
export async function seriesValues(prometheusUrl: string, query: string, startMs: number): Promise<number[]> {
  const params = new URLSearchParams({
    query,
    start: String(Math.floor(startMs / 1000)),
    end: String(Math.ceil(Date.now() / 1000)),
    step: '1',
  });
  const body = (await (await fetch(`${prometheusUrl}/api/v1/query_range?${params}`)).json()) as {
    status: string;
    data: { result: Array<{ values: Array<[number, string]> }> };
  };
  if (body.status !== 'success') throw new Error(`query_range ${query}: ${JSON.stringify(body)}`);
  if (body.data.result.length !== 1) throw new Error(`${query}: ${body.data.result.length} series, not 1`);
  return body.data.result[0]!.values.map(([, value]) => Number(value));
}
