/**
 * A real Prometheus for integration tests: its own temp dir (config and TSDB) and loopback port, so
 * test files run in parallel. Nothing is scraped; PromQL like `vector(1)` needs no data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export interface TestPrometheus {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops Prometheus and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
}

const PROMETHEUS_CANDIDATES = ['/usr/bin/prometheus', '/usr/local/bin/prometheus', '/bin/prometheus'];
const READY_TIMEOUT_MS = 20_000;
const STDERR_KEEP_CHARS = 8192;

/** Prometheus processes and dirs still alive, so a test that forgets stop() leaves nothing behind. */
const live = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startPrometheus(): Promise<TestPrometheus> {
  const binary = PROMETHEUS_CANDIDATES.find((path) => existsSync(path));
  if (binary === undefined) {
    throw new Error(`no prometheus in ${PROMETHEUS_CANDIDATES.join(', ')}: install the prometheus package`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'remediator-prometheus-'));
  try {
    const config = join(dir, 'prometheus.yml');
    await writeFile(config, 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n');
    const { child, url } = await listen(binary, dir, config);
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= stopChild(child).then(() => rm(dir, { recursive: true, force: true })));
    return { url, stop };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Starts Prometheus on a free port. The port can be taken between freePort() and Prometheus' bind,
 * so a bind failure is retried on another port.
 */
async function listen(
  binary: string,
  dir: string,
  config: string,
): Promise<{ child: ChildProcess; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.set(child, dir);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP_CHARS);
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitReady(child, url, () => stderr);
      return { child, url };
    } catch (err) {
      await stopChild(child);
      if (attempt < 3 && /address already in use/i.test(stderr)) continue;
      throw err;
    }
  }
}

/** Ready means `/-/ready` answers 200 (the TSDB is open and queries are served). */
async function waitReady(child: ChildProcess, url: string, stderr: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      reject(new Error(`prometheus exited (${signal ?? `code ${code}`}) before it was ready:\n${stderr()}`));
    });
    child.once('error', (err) => reject(new Error(`cannot start prometheus: ${err.message}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const poll = async () => {
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      const status = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.body?.cancel().then(() => response.status) ?? response.status,
        () => 0,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`prometheus was not ready on ${url} within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
  };
  await Promise.race([poll(), exited]);
}

/** SIGTERM, then SIGKILL if Prometheus has not exited after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  live.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
