import type { K8sObject } from './kustomize.ts';

/**
 * Where the validator of an API version's kind lives: `kubernetes-models` (the Kubernetes OpenAPI
 * schemas, compiled by ajv) and `@kubernetes-models/prometheus-operator` (its CRDs' schemas).
 */
function modulePath(apiVersion: string, kind: string): string | undefined {
  if (!/^[A-Z][A-Za-z]+$/.test(kind)) return undefined;
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  if (/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion))
    return `kubernetes-models/${apiVersion}/${kind}`;
  return undefined;
}

/**
 * API versions every supported Kubernetes serves. kubernetes-models also keeps schemas of versions
 * clusters stopped serving long ago (apps/v1beta1 went in 1.16), which must not pass.
 */
const SERVED = new Set([
  'v1',
  'apps/v1',
  'policy/v1',
  'rbac.authorization.k8s.io/v1',
  'monitoring.coreos.com/v1',
]);

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Problems with `object` against its kind's schema, as `Kind/name: /path message`; [] when valid. */
export async function validateObject(object: K8sObject): Promise<string[]> {
  const { apiVersion, kind } = object;
  const at = `${kind}/${object.metadata.name}`;
  if (!SERVED.has(apiVersion)) return [`${at}: ${apiVersion} is not an API version served today`];
  const path = modulePath(apiVersion, kind);
  const Model =
    path === undefined ? undefined : ((await import(path).catch(() => ({})))[kind] as ModelClass | undefined);
  if (Model === undefined) return [`${at}: no schema for ${apiVersion} ${kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (errors === undefined) throw err;
    return errors.map((e) => `${at}: ${e.instancePath} ${e.message ?? 'is invalid'}`);
  }
}
