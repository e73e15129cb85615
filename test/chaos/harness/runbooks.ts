/**
 * Runbooks for a scenario's remediator: the demo runbooks (what `npm run demo` heals with), and a few
 * the chaos suite adds where a scenario needs a step slow enough to crash or stop in the middle of,
 * a verification strict enough to see a fix that does not hold, or a stream of cheap runs.
 */
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

/**
 * The demo runbooks (what `npm run demo` heals with: runbooks/, unchanged; the stack's sshd gives
 * their commands the demo host's PATH and state), copied to `dir` without the files named in `omit`.
 */
export async function writeDemoRunbooks(dir: string, omit: readonly string[] = []): Promise<void> {
  const source = join(ROOT, 'runbooks');
  for (const file of (await readdir(source)).filter((f) => f.endsWith('.yaml') && !omit.includes(f)))
    await copyFile(join(source, file), join(dir, file));
}

export const DEMO = {
  memory: 'restart-leaking-service.yaml',
  errors: 'drain-erroring-instance.yaml',
  cpu: 'restart-cpu-burner.yaml',
  pool: 'resize-connection-pool.yaml',
} as const;

/**
 * Restarts an instance by name with the demo host's `demo-restart` (SIGTERM to its process; the
 * supervisor starts it again), after `sleep` seconds, appending `start` and `end` to
 * `<markers>/<instance>` so a test sees whether and how often the step ran.
 * Arguments: markers dir, service, instance name, seconds.
 */
const RESTART_SCRIPT = [
  'mkdir -p "$1"',
  'm="$1/$(printf %s "$3" | tr : _)"',
  'echo start >> "$m"',
  'sleep "$4"',
  'demo-restart "$2" "$3"',
  'echo end >> "$m"',
].join('; ');

export interface RestartRunbookOptions {
  readonly name: string;
  readonly alertname: string;
  /** Regex on the `service` label. */
  readonly service: string;
  readonly markers: string;
  readonly sleepSeconds: number;
  readonly idempotent: boolean;
  /** YAML flow mapping for `policy`. */
  readonly policy?: string;
  /** YAML flow mapping for the step's `verify`. @defaultValue alert resolved within 60 s */
  readonly verify?: string;
}

export function restartRunbook(o: RestartRunbookOptions): string {
  return `name: ${o.name}
description: Restart the instance over SSH (chaos suite; the step takes ${o.sleepSeconds} s).
match: ['alertname = "${o.alertname}"', 'service =~ "${o.service}"']
target: '{{labels.instance}}'
params:
  service: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }
  instance: { from: '{{labels.instance}}', pattern: '[a-z0-9.-]{1,40}:[0-9]{1,5}' }
${o.policy ? `policy: ${o.policy}\n` : ''}steps:
  - name: restart
    idempotent: ${o.idempotent}
    ssh:
      command: [sh, -c, ${JSON.stringify(RESTART_SCRIPT)}, sh, ${JSON.stringify(o.markers)}, '{{params.service}}', '{{params.instance}}', '${o.sleepSeconds}']
      timeout: ${o.sleepSeconds + 20}s
    verify: ${o.verify ?? '{ alertResolved: 60s }'}
`;
}

/**
 * For synthetic `ChaosStream` alerts: one short SSH step that appends `<seq> start <ms>` and
 * `<seq> end <ms>` to `file`, so a test counts how often each alert was acted on and how many acted at
 * once. No cooldown or per-target limit (every alert is its own occurrence); `maxInFlight` caps it.
 */
export function streamRunbook(
  file: string,
  policy = "{ cooldown: 0s, maxRuns: 10000 per 1h, maxRunsPerTarget: 10000 per 1h, maxInFlight: 6, group: '' }",
  stepSeconds = 0.3,
): string {
  const script = `printf '%s start %s\\n' "$2" "$(date +%s%3N)" >> "$1"; sleep ${stepSeconds}; printf '%s end %s\\n' "$2" "$(date +%s%3N)" >> "$1"`;
  return `name: chaos-stream
description: Touch a file for each synthetic alert (chaos suite).
match: ['alertname = "ChaosStream"']
target: '{{labels.instance}}'
params:
  seq: { from: '{{labels.seq}}', pattern: '[0-9]{1,6}' }
policy: ${policy}
steps:
  - name: touch
    ssh:
      command: [sh, -c, ${JSON.stringify(script)}, sh, ${JSON.stringify(file)}, '{{params.seq}}']
      timeout: 20s
`;
}

export async function writeRunbook(dir: string, file: string, text: string): Promise<void> {
  await writeFile(join(dir, file), text);
}
