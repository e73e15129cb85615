import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as kustomize would send it to the API server. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
  [key: string]: unknown;
}

interface Generator {
  name: string;
  files?: string[];
  envs?: string[];
}

interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labels?: { pairs: Record<string, string> }[];
  resources?: string[];
  images?: { name: string; newTag?: string; newName?: string }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

/** What this emulation implements; anything else in kustomization.yaml fails the build. */
const KNOWN_KEYS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'labels',
  'resources',
  'images',
  'configMapGenerator',
  'secretGenerator',
]);
const CLUSTER_SCOPED = new Set(['Namespace']);

/**
 * Parses YAML as kubectl does (YAML 1.1, where `yes` and `0755` mean something else than in 1.2)
 * and refuses text whose meaning differs between the two versions.
 */
export function parseManifests(file: string, text: string): K8sObject[] {
  const docs = (version: '1.1' | '1.2') =>
    parseAllDocuments(text, { version }).flatMap((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJS() as K8sObject | null;
      return value === null ? [] : [value];
    });
  const yaml11 = docs('1.1');
  if (JSON.stringify(yaml11) !== JSON.stringify(docs('1.2')))
    throw new Error(`${file}: reads differently as YAML 1.1 (kubectl) and 1.2; quote the ambiguous values`);
  return yaml11;
}

/**
 * `kustomize build` for the parts deploy/kubernetes uses: resources, generators (without the name
 * hash suffix), namespace, labels and images. Secret files that do not exist yet are read from their
 * `.example` (the test builds what a user gets after copying them).
 */
export function kustomizeBuild(dir: string): K8sObject[] {
  const k = parseManifests('kustomization.yaml', readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0] as
    (Kustomization & Record<string, unknown>) | undefined;
  if (k === undefined) throw new Error(`${dir}/kustomization.yaml is empty`);
  const unknown = Object.keys(k).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) throw new Error(`kustomization.yaml: not emulated here: ${unknown.join(', ')}`);
  const read = (path: string) => {
    const file = join(dir, path);
    return readFileSync(existsSync(file) ? file : `${file}.example`, 'utf8');
  };
  const objects = (k.resources ?? []).flatMap((path) => parseManifests(path, read(path)));
  for (const gen of k.configMapGenerator ?? []) {
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: gen.name },
      data: generate(gen, read),
    });
  }
  for (const gen of k.secretGenerator ?? []) {
    const data = Object.fromEntries(
      Object.entries(generate(gen, read)).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    objects.push({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: gen.name }, data });
  }
  const labels = Object.assign({}, ...(k.labels ?? []).map((l) => l.pairs)) as Record<string, string>;
  for (const object of objects) {
    if (k.namespace !== undefined && !CLUSTER_SCOPED.has(object.kind))
      object.metadata.namespace = k.namespace;
    object.metadata.labels = { ...object.metadata.labels, ...labels };
    for (const container of containersOf(object)) {
      const image = k.images?.find((i) => i.name === container.image);
      if (image) container.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
    }
  }
  return objects;
}

/** A generator's data: `files` (`key=path` or `path`) and `envs` (NAME=value lines, # comments). */
function generate(gen: Generator, read: (path: string) => string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const entry of gen.files ?? []) {
    const [key, path] = entry.includes('=') ? entry.split('=', 2) : [basename(entry), entry];
    data[key!] = read(path!);
  }
  for (const path of gen.envs ?? []) {
    for (const line of read(path).split('\n')) {
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const eq = line.indexOf('=');
      data[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return data;
}

export interface Container {
  name: string;
  image: string;
  [key: string]: unknown;
}

export function containersOf(object: K8sObject): Container[] {
  const spec = (object['spec'] as { template?: { spec?: { containers?: Container[] } } } | undefined)
    ?.template?.spec;
  return spec?.containers ?? [];
}
