import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../harness/kustomize.ts';
import { validateObject } from '../harness/k8s-schemas.ts';
import { unknownFields } from '../harness/k8s-types.ts';

/** The optional RBAC for kubectl exec steps, checked offline like deploy/kubernetes itself. */
const ROOT = new URL('../../', import.meta.url).pathname;
const FILE = join(ROOT, 'deploy/kubernetes/optional/kubectl-rollout-restart-rbac.yaml');
const objects = parseManifests(FILE, readFileSync(FILE, 'utf8'));

describe('deploy/kubernetes/optional/kubectl-rollout-restart-rbac.yaml', () => {
  it('holds valid objects without unknown fields', async () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/remediator',
      'Role/remediator-rollout-restart',
      'RoleBinding/remediator-rollout-restart',
    ]);
    for (const object of objects) expect(await validateObject(object)).toEqual([]);
    expect(unknownFields(objects, ROOT)).toEqual([]);
  });

  it('allows only get and patch on Deployments, bound to the ServiceAccount the Role names', () => {
    const role = objects[1] as unknown as { rules: unknown[] };
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    ]);
    const binding = objects[2] as unknown as { subjects: unknown[]; roleRef: { name: string } };
    expect(binding.roleRef.name).toBe('remediator-rollout-restart');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'remediator', namespace: 'remediator' },
    ]);
  });
});
