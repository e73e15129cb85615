/**
 * A real Prometheus for integration tests: its own temp dir (config and TSDB) and loopback port, so
 * test files run in parallel. Nothing is scraped; PromQL like `vector(1)` needs no data.
 */
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startDaemon, type Daemon } from './daemon.ts';

export type TestPrometheus = Daemon;

export interface PrometheusOptions {
  /**
   * History to serve: an OpenMetrics text (`# TYPE ... `, samples with timestamps in seconds,
   * `# EOF`), turned into TSDB blocks with `promtool tsdb create-blocks-from openmetrics` before start.
   */
  readonly openMetrics?: string;
}

export function startPrometheus(options: PrometheusOptions = {}): Promise<TestPrometheus> {
  return startDaemon({
    name: 'prometheus',
    binaries: ['/usr/bin/prometheus', '/usr/local/bin/prometheus', '/bin/prometheus'],
    debianPackage: 'prometheus',
    files: {
      'prometheus.yml': 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n',
      ...(options.openMetrics === undefined ? {} : { 'history.om': options.openMetrics }),
    },
    ...(options.openMetrics === undefined
      ? {}
      : { prepare: (dir: string) => createBlocks(join(dir, 'history.om'), join(dir, 'data')) }),
    args: (port, dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
  });
}

async function createBlocks(input: string, dataDir: string): Promise<void> {
  await promisify(execFile)('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir], {
    maxBuffer: 16 * 1024 * 1024,
  });
}
