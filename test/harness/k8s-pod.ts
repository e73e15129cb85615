import type { K8sObject } from './kustomize.ts';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string };
  emptyDir?: object;
}
interface Mount {
  name: string;
  mountPath: string;
}
export interface PodContainer {
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: Mount[];
}

/** What a pod's container sees: its environment and the files of its ConfigMap and Secret volumes. */
export interface PodView {
  readonly env: Record<string, string>;
  /** absolute path -> content */
  readonly files: Map<string, string>;
  /** mount paths of emptyDir volumes */
  readonly writable: string[];
}

/** Resolves a container's env and mounts against the built objects, as the kubelet would. */
export function podView(container: PodContainer, volumes: Volume[], objects: readonly K8sObject[]): PodView {
  const data = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> => {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (object === undefined) throw new Error(`${kind}/${name} is referenced but not defined`);
    const raw = (object['data'] ?? {}) as Record<string, string>;
    if (kind === 'ConfigMap') return raw;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  };
  const pick = (kind: 'ConfigMap' | 'Secret', ref: { name: string; key: string }) => {
    const value = data(kind, ref.name)[ref.key];
    if (value === undefined) throw new Error(`${kind}/${ref.name} has no key ${ref.key}`);
    return value;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, data('ConfigMap', from.configMapRef.name));
    if (from.secretRef) Object.assign(env, data('Secret', from.secretRef.name));
  }
  for (const e of container.env ?? []) {
    const { secretKeyRef, configMapKeyRef } = e.valueFrom ?? {};
    env[e.name] = secretKeyRef
      ? pick('Secret', secretKeyRef)
      : configMapKeyRef
        ? pick('ConfigMap', configMapKeyRef)
        : (e.value ?? '');
  }
  const files = new Map<string, string>();
  const writable: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (volume === undefined) throw new Error(`volume ${mount.name} is mounted but not defined`);
    if (volume.emptyDir) writable.push(mount.mountPath);
    const content = volume.configMap
      ? data('ConfigMap', volume.configMap.name)
      : volume.secret
        ? data('Secret', volume.secret.secretName)
        : {};
    for (const [key, text] of Object.entries(content)) files.set(`${mount.mountPath}/${key}`, text);
  }
  return { env, files, writable };
}
