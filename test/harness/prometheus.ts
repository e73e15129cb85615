/**
 * A real Prometheus for integration tests: its own temp dir (config and TSDB) and loopback port, so
 * test files run in parallel. Nothing is scraped; PromQL like `vector(1)` needs no data.
 */
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.ts';

export type TestPrometheus = Daemon;

export function startPrometheus(): Promise<TestPrometheus> {
  return startDaemon({
    name: 'prometheus',
    binaries: ['/usr/bin/prometheus', '/usr/local/bin/prometheus', '/bin/prometheus'],
    debianPackage: 'prometheus',
    files: { 'prometheus.yml': 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n' },
    args: (port, dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
  });
}
