import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadInventory } from '../../src/config/inventory.ts';
import { loadRunbooks } from '../../src/config/runbooks.ts';
import { readSettings } from '../../src/config/settings.ts';
import { generatedFiles } from '../../scripts/k8s-generate.ts';
import { podView, type PodContainer } from '../harness/k8s-pod.ts';
import { kustomizeBuild, type K8sObject } from '../harness/kustomize.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const objects = kustomizeBuild(join(ROOT, 'deploy/kubernetes'));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are checked against their schemas elsewhere
function one(kind: string, name = 'remediator'): K8sObject & Record<string, any> {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
}
const deployment = one('Deployment');
const pod = deployment['spec'].template.spec;
const container = pod.containers[0];
const subset = (part: Record<string, string>, whole: Record<string, string>) =>
  expect(whole).toMatchObject(part);

/** The pod's files under a temp root, and its env with the paths moved there. */
async function materialize(extraEnv: Record<string, string> = {}) {
  const view = podView(container as PodContainer, pod.volumes, objects);
  const root = await mkdtemp(join(tmpdir(), 'remediator-k8s-pod-'));
  dirs.push(root);
  for (const [path, text] of view.files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const env = Object.fromEntries(
    Object.entries({ ...view.env, ...extraEnv }).map(([k, v]) => [k, v.startsWith('/') ? join(root, v) : v]),
  );
  return { view, root, env };
}

describe('deploy/kubernetes stays equal to what it is made from', () => {
  it('the generated files are current (else: npm run k8s:generate)', () => {
    for (const [path, text] of Object.entries(generatedFiles(ROOT))) {
      expect(readFileSync(join(ROOT, path), 'utf8'), `${path}: run npm run k8s:generate`).toBe(text);
    }
  });

  it("the PrometheusRule's groups are alert-rules/remediator.yml's", () => {
    const rules = parse(readFileSync(join(ROOT, 'alert-rules/remediator.yml'), 'utf8')) as {
      groups: unknown;
    };
    expect(one('PrometheusRule')['spec'].groups).toEqual(rules.groups);
  });

  it("the dashboards ConfigMap holds grafana/dashboards/ unchanged, labelled for Grafana's sidecar", () => {
    const configMap = one('ConfigMap', 'remediator-grafana-dashboards');
    const dir = join(ROOT, 'grafana/dashboards');
    const files = readdirSync(dir).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    expect(configMap['data']).toEqual(
      Object.fromEntries(files.map((name) => [name, readFileSync(join(dir, name), 'utf8')])),
    );
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
  });

  it(`runs the image the Dockerfile builds, tagged with the package version (${version})`, () => {
    expect(container.image).toBe(`ghcr.io/example/remediator:${version}`);
  });
});

describe("the pod's configuration", () => {
  it("passes remediator's strict settings check, and its runbooks and inventory load", async () => {
    const { view, env } = await materialize();
    const settings = readSettings(env);
    expect(settings.redisUrl).toBe('redis+sentinel://redis-sentinel.redis.svc:26379/mymaster');
    expect(settings).toMatchObject({ host: '0.0.0.0', port: 9787 });
    expect([settings.webhookToken, settings.operatorToken, settings.approvalSecret]).not.toContain(undefined);
    expect((await loadRunbooks([settings.runbooksDir])).length).toBeGreaterThan(0);
    const inventory = await loadInventory(settings.inventoryFile, { env });
    expect(inventory.size).toBeGreaterThan(0);
    // The SSH files the inventory names are in the pod (its Secret remediator-ssh).
    for (const target of inventory.values()) {
      expect(view.files.has(target.ssh!.keyFile), target.ssh!.keyFile).toBe(true);
      expect(view.files.has(target.ssh!.knownHostsFile!), target.ssh!.knownHostsFile).toBe(true);
    }
    expect(view.writable).toContain(view.env['REMEDIATOR_DATA_DIR']);
  });

  it('would stop on a misspelt setting, so the check above can fail', async () => {
    const { env } = await materialize({ REMEDIATOR_CONCURENCY: '4' });
    expect(() => readSettings(env)).toThrow('environment: REMEDIATOR_CONCURENCY: unknown setting');
  });

  it('meets the restricted Pod Security Standard, with a read-only root and writable emptyDirs', () => {
    expect(deployment['spec'].replicas).toBe(2);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const view = podView(container as PodContainer, pod.volumes, objects);
    expect(view.writable.sort()).toEqual(['/tmp', '/var/lib/remediator']);
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(one('Namespace').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('probes /healthz for liveness and /readyz for readiness on the port the service listens on', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 9787, protocol: 'TCP' }]);
    // Kubernetes' SIGKILL must come after remediator's own grace for running steps.
    const { env } = podView(container as PodContainer, pod.volumes, objects);
    const { shutdownGraceMs } = readSettings({
      REMEDIATOR_SHUTDOWN_GRACE: env['REMEDIATOR_SHUTDOWN_GRACE'] ?? '',
    });
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownGraceMs);
  });

  it('Service, ServiceMonitor and PodDisruptionBudget select these pods; the scrape job is `remediator`', () => {
    const labels = deployment['spec'].template.metadata.labels as Record<string, string>;
    const service = one('Service');
    subset(service['spec'].selector, labels);
    subset(one('PodDisruptionBudget')['spec'].selector.matchLabels, labels);
    const monitor = one('ServiceMonitor');
    subset(monitor['spec'].selector.matchLabels, service.metadata.labels!);
    const ports = (service['spec'].ports as { name: string }[]).map((p) => p.name);
    for (const endpoint of monitor['spec'].endpoints as { port: string }[])
      expect(ports).toContain(endpoint.port);
    // The Prometheus Operator names the job after the Service; RemediatorDown asks for job="remediator".
    expect(readFileSync(join(ROOT, 'alert-rules/remediator.yml'), 'utf8')).toContain(
      `up{job="${service.metadata.name}"}`,
    );
  });
});
