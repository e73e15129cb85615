/**
 * A real Alertmanager (Debian's prometheus-alertmanager) for integration tests, alone (no cluster),
 * with a route to a receiver that sends nothing unless `webhookUrl` is given.
 */
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.ts';

export type TestAlertmanager = Daemon;

export function startAlertmanager(options: { webhookUrl?: string } = {}): Promise<TestAlertmanager> {
  const receiver = options.webhookUrl
    ? `  - name: r\n    webhook_configs:\n      - url: ${options.webhookUrl}\n        send_resolved: true\n`
    : '  - name: r\n';
  const config = `route:\n  receiver: r\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n${receiver}`;
  return startAlertmanagerDaemon('alertmanager', config, ['--cluster.listen-address=']);
}

/** One Alertmanager process with `config`, on a free port in its own temp dir, plus `extraArgs`. */
export function startAlertmanagerDaemon(
  name: string,
  config: string,
  extraArgs: readonly string[],
): Promise<Daemon> {
  return startDaemon({
    name,
    binaries: ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager', '/usr/local/bin/alertmanager'],
    debianPackage: 'prometheus-alertmanager',
    files: { 'alertmanager.yml': config },
    args: (port, dir) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...extraArgs,
      '--log.level=warn',
    ],
  });
}
