import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Inventory targets: `app-1:8081` … `app-N:8081` for load and storm alerts, `probe-1` … `probe-N` for
 * reaction probes (each probe acts on targets no other run holds), all pointing at the no-op HTTP target.
 */
export const TARGETS = 1000;

// What a small team's runbook directory looks like: mostly `alertname="…"` plus equality and regex
// matchers, one alertname list, one runbook without an alertname. Every step is an HTTP call to the
// no-op target whose path carries the alert's fingerprint, so the target can time each step's start.
const RUNBOOKS: ReadonlyArray<{ name: string; match: string[]; params?: boolean }> = [
  {
    name: 'restart-leaking-service',
    match: ['alertname = "HighMemoryUsage"', 'service =~ "user-service|order-service|payment-service"'],
    params: true,
  },
  { name: 'drain-erroring-instance', match: ['alertname = "HighErrorRate"', 'service != ""'], params: true },
  { name: 'resize-connection-pool', match: ['alertname = "ConnectionPoolExhausted"'] },
  {
    name: 'clean-disk',
    match: ['alertname =~ "DiskAlmostFull|DiskWillFillIn4h"', 'mountpoint =~ "/var/log|/tmp"'],
  },
  {
    name: 'restart-stuck-consumer',
    match: ['alertname = "KafkaConsumerLag"', 'consumer_group =~ "orders-.*"'],
  },
  { name: 'reload-certificate', match: ['alertname = "CertificateExpiresSoon"', 'severity = "warning"'] },
  { name: 'scale-out', match: ['alertname = "HighCpuUsage"', 'env != "staging"'] },
  { name: 'flush-cache', match: ['alertname = "CacheHitRateLow"', 'service = "catalog"'] },
  { name: 'restart-exporter', match: ['alertname =~ "ExporterDown|NodeExporterDown"', 'job = "node"'] },
  { name: 'storage-first-aid', match: ['team = "storage"', 'severity = "critical"'] },
];

/** Runbook limits high enough that the policy stages let every run through: ingest measures the pipeline. */
const OPEN_POLICY = `policy:
  cooldown: 0s
  maxRuns: 1000000 per 1h
  maxRunsPerTarget: 1000000 per 1h
  maxInFlight: 1000
  group: ''
`;

/**
 * The service-wide limits to match (REMEDIATOR_RATE_LIMIT, REMEDIATOR_MAX_IN_FLIGHT, and the storm
 * guard, which would refuse all but 100 runs a minute of one runbook); the storm keeps the defaults
 * except the storm guard ({@link NO_STORM_GUARD}), which section 8 measures on its own.
 */
export const NO_STORM_GUARD = { REMEDIATOR_STORM_LIMIT: 'off' };
export const OPEN_SETTINGS = {
  REMEDIATOR_RATE_LIMIT: '1000000 per 1h',
  REMEDIATOR_MAX_IN_FLIGHT: '10000',
  ...NO_STORM_GUARD,
};

export interface BenchConfig {
  readonly runbooksDir: string;
  readonly inventoryFile: string;
}

/** How the bench runbooks' steps call the target: `noop` answers at once, `hold` after HOLD_MS. */
export type StepKind = 'noop' | 'hold';

/** How long the target holds a `hold` step request: long enough that runs acting at once overlap there. */
export const HOLD_MS = 5;

/**
 * Writes the bench runbooks and an inventory into `dir`. `openPolicy` false keeps each runbook's
 * default policy (the storm must stay within the blast radius).
 */
export async function writeBenchConfig(
  dir: string,
  targetUrl: string,
  openPolicy: boolean,
  step: StepKind,
): Promise<BenchConfig> {
  const runbooksDir = join(dir, 'runbooks');
  await mkdir(runbooksDir, { recursive: true });
  for (const rb of RUNBOOKS) {
    await writeFile(join(runbooksDir, `${rb.name}.yaml`), runbookYaml(rb, openPolicy, step));
  }
  const http = `    http: { baseUrl: '${targetUrl}' }\n`;
  const targets = Array.from(
    { length: TARGETS },
    (_, i) => `  app-${i + 1}:8081:\n${http}  probe-${i + 1}:\n${http}`,
  );
  const inventoryFile = join(dir, 'inventory.yaml');
  await writeFile(inventoryFile, `targets:\n${targets.join('')}`);
  return { runbooksDir, inventoryFile };
}

function runbookYaml(rb: (typeof RUNBOOKS)[number], openPolicy: boolean, step: StepKind): string {
  const match = rb.match.map((m) => `  - '${m}'\n`).join('');
  const params = rb.params
    ? `params:\n  service: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }\n` +
      `  alertname: { from: '{{labels.alertname}}', pattern: '[A-Za-z0-9_]{1,100}' }\n`
    : '';
  const body = rb.params
    ? `      body: { service: '{{params.service}}', reason: '{{params.alertname}}' }\n`
    : '';
  return (
    `name: ${rb.name}\ndescription: bench runbook\nmatch:\n${match}target: '{{labels.instance}}'\n${params}` +
    `steps:\n  - name: act\n    http:\n      method: POST\n      path: '/${step}/{{alert.fingerprint}}'\n${body}` +
    `      expect: 200\n      timeout: 5s\n` +
    (openPolicy ? OPEN_POLICY : '')
  );
}
