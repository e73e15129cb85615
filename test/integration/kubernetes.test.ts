import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kustomizeBuild, parseManifests, type K8sObject } from '../harness/kustomize.ts';
import { validateObject } from '../harness/k8s-schemas.ts';
import { unknownFields } from '../harness/k8s-types.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DIR = join(ROOT, 'deploy/kubernetes');
const objects = kustomizeBuild(DIR);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test pokes into the objects freely
type Loose = any;

function one(kind: string, name: string): K8sObject & Record<string, Loose> {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
}

const deployment = one('Deployment', 'remediator');

describe('deploy/kubernetes against the Kubernetes and Prometheus Operator schemas', () => {
  it('builds the objects the README promises', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/remediator-grafana-dashboards',
      'ConfigMap/remediator-inventory',
      'ConfigMap/remediator-runbooks',
      'ConfigMap/remediator-settings',
      'Deployment/remediator',
      'Namespace/remediator',
      'PodDisruptionBudget/remediator',
      'PrometheusRule/remediator',
      'Secret/remediator-redis',
      'Secret/remediator-ssh',
      'Secret/remediator-tokens',
      'Service/remediator',
      'ServiceMonitor/remediator',
    ]);
  });

  it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))(
    '%s is valid',
    async (_, object) => {
      expect(await validateObject(object)).toEqual([]);
    },
  );

  it('rejects broken objects, so the checks above can fail', async () => {
    const broken = structuredClone(deployment);
    broken['spec'].replicas = 'two';
    broken['spec'].template.spec.containers[0].imagePullPolicy = 'Sometimes';
    expect(await validateObject(broken)).toEqual([
      'Deployment/remediator: /spec/replicas must be integer',
      'Deployment/remediator: /spec/template/spec/containers/0/imagePullPolicy must be equal to one of the allowed values',
    ]);
    const rule = structuredClone(one('PrometheusRule', 'remediator'));
    rule['spec'].groups[0].rules[0].for = '2 minutes';
    expect((await validateObject(rule))[0]).toMatch(
      /^PrometheusRule\/remediator: \/spec\/groups\/0\/rules\/0\/for must match pattern/,
    );
    expect(await validateObject({ ...deployment, apiVersion: 'apps/v1beta1' })).toEqual([
      'Deployment/remediator: apps/v1beta1 is not an API version served today',
    ]);
    expect(await validateObject({ ...deployment, kind: 'Deplyment' })).toEqual([
      'Deplyment/remediator: no schema for apps/v1 Deplyment',
    ]);
  });

  it('has no field its kind does not know (kubectl apply refuses those), and finds one that is not', () => {
    expect(unknownFields(objects, ROOT)).toEqual([]);
    const broken = structuredClone(objects);
    const brokenPod = broken.find((o) => o.kind === 'Deployment')!['spec'] as Loose;
    brokenPod.template.spec.containers[0].readinesProbe =
      brokenPod.template.spec.containers[0].readinessProbe;
    (broken.find((o) => o.kind === 'ServiceMonitor')!['spec'] as Loose).endpoints[0].pth = '/metrics';
    expect(unknownFields(broken, ROOT)).toEqual([
      `Deployment/remediator: Object literal may only specify known properties, and '"readinesProbe"' does not exist in type 'IContainer'.`,
      `ServiceMonitor/remediator: Object literal may only specify known properties, and '"pth"' does not exist in type 'IEndpoint'.`,
    ]);
  });

  it('reads the same as YAML 1.1 (kubectl) and 1.2', () => {
    expect(() => parseManifests('x.yaml', 'mode: 0440\n')).toThrow('reads differently as YAML 1.1');
    expect(() => parseManifests('x.yaml', 'enabled: yes\n')).toThrow('reads differently as YAML 1.1');
  });
});
