import { TARGETS } from './fixture.ts';

type Labels = Record<string, string>;

const STARTS_AT = '2026-11-21T07:18:09.123Z';

/**
 * An Alertmanager 0.25 webhook body, shaped like test/fixtures/alertmanager-0.25/01-firing-group-of-3.json:
 * group labels, common labels and annotations, one entry per alert with its own fingerprint.
 */
export function notification(alerts: ReadonlyArray<{ labels: Labels; fingerprint: string }>): string {
  const first = alerts[0]?.labels ?? {};
  const common = Object.fromEntries(
    Object.entries(first).filter(([k, v]) => alerts.every((a) => a.labels[k] === v)),
  );
  const groupLabels = { alertname: first['alertname'] ?? '', service: first['service'] ?? '' };
  return JSON.stringify({
    receiver: 'remediator',
    status: 'firing',
    alerts: alerts.map((a) => ({
      status: 'firing',
      labels: a.labels,
      annotations: {
        description: `${a.labels['instance']} uses 93% of its memory limit`,
        summary: `${a.labels['service']} memory above 90%`,
      },
      startsAt: STARTS_AT,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=process_resident_memory_bytes',
      fingerprint: a.fingerprint,
    })),
    groupLabels,
    commonLabels: common,
    commonAnnotations: { summary: `${first['service']} memory above 90%` },
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: `{}:{alertname="${groupLabels.alertname}", service="${groupLabels.service}"}`,
    truncatedAlerts: 0,
  });
}

/** Labels of an alert the `restart-leaking-service` bench runbook acts on. */
export function actionableLabels(i: number): Labels {
  return {
    alertname: 'HighMemoryUsage',
    instance: `app-${(i % TARGETS) + 1}:8081`,
    job: 'demo',
    service: 'user-service',
    severity: 'critical',
  };
}

/** Labels of an alert no bench runbook selects (a common alert without a runbook). */
export function nonActionableLabels(i: number): Labels {
  return {
    alertname: 'KubePodCrashLooping',
    instance: `app-${(i % TARGETS) + 1}:8081`,
    job: 'kube-state-metrics',
    namespace: 'shop',
    pod: `user-service-7d9f8-${i % 97}`,
    severity: 'warning',
  };
}

/**
 * Bodies of `size` alerts each, every call with fresh fingerprints (`<tag><n>`), so every notification is a
 * new alert occurrence and every match a new run. The JSON is built once; each call only swaps fingerprints.
 */
export function bodyFactory(size: number, labels: (i: number) => Labels, tag: string): () => string {
  const marks = Array.from({ length: size }, (_, i) => `FPMARK${i}X`);
  const parts = notification(marks.map((fingerprint, i) => ({ labels: labels(i), fingerprint }))).split(
    /FPMARK\d+X/,
  );
  let n = 0;
  return () => {
    n++;
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i++) out += `${tag}${n}n${i}${parts[i]}`;
    return out;
  };
}
