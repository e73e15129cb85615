import { TARGETS } from './fixture.ts';

type Labels = Record<string, string>;

export const STARTS_AT = '2026-11-21T07:18:09.123Z';

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

const SERVICES = ['user-service', 'order-service', 'payment-service'];

/**
 * Labels of an alert the `restart-leaking-service` bench runbook acts on: instances spread over the
 * inventory, services (progressive-healing groups) over `services` of the three the runbook accepts.
 */
export function actionableLabels(i: number, services = 1): Labels {
  return {
    alertname: 'HighMemoryUsage',
    instance: `app-${(i % TARGETS) + 1}:8081`,
    job: 'demo',
    service: SERVICES[i % Math.min(services, SERVICES.length)]!,
    severity: 'critical',
  };
}

/** An actionable alert on target `probe-<n>`, which nothing else acts on. */
export function probeLabels(n: number): Labels {
  return { ...actionableLabels(0), instance: `probe-${(n % TARGETS) + 1}` };
}

/**
 * An alert of another runbook (`resize-connection-pool`) on target `probe-<n>`: a fresh alert that is
 * not behind the actionable load's own runbook backlog, only behind its turn.
 */
export function otherRunbookProbeLabels(n: number): Labels {
  return {
    alertname: 'ConnectionPoolExhausted',
    instance: `probe-${(n % TARGETS) + 1}`,
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
 * Bodies of `size` alerts each, every call with fresh fingerprints (`<tag><n>n<i>`), so every notification
 * is a new alert occurrence and every match a new run. Alert `i` of call `n` has the labels `labels(j)`,
 * `j = (n * size + i) mod max(size, TARGETS)`, so the alerts cycle through the inventory's targets. The JSON
 * of each variant is built once; a call only fills in fingerprints.
 */
export function bodyFactory(size: number, labels: (i: number) => Labels, tag: string): () => string {
  const variants = Array.from({ length: Math.max(1, Math.ceil(TARGETS / size)) }, (_, v) =>
    notification(
      Array.from({ length: size }, (_, i) => ({ labels: labels(v * size + i), fingerprint: `FPMARK${i}X` })),
    ).split(/FPMARK\d+X/),
  );
  let n = 0;
  return () => {
    const parts = variants[n % variants.length]!;
    n++;
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i++) out += `${tag}${n}n${i}${parts[i]}`;
    return out;
  };
}
