import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize.ts';

/**
 * Unknown fields, which the OpenAPI schemas let through (they do not close their objects) but
 * `kubectl apply` refuses (strict field validation) and a typo like `readinesProbe` would hide in:
 * each object becomes an object literal typed with its kind's interface from the same package, and
 * TypeScript's excess-property check names every field the type does not have, at any depth.
 */
export function unknownFields(objects: readonly K8sObject[], root: string): string[] {
  const file = join(root, 'test', '__k8s_objects__.ts');
  const lines = objects.map((object, i) => {
    const module = object.apiVersion.startsWith('monitoring.coreos.com/')
      ? `@kubernetes-models/prometheus-operator/${object.apiVersion}/${object.kind}`
      : `kubernetes-models/${object.apiVersion}/${object.kind}`;
    return `export const o${i}: import('${module}').I${object.kind} = ${JSON.stringify(object)};`;
  });
  const text = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const object = objects[line];
    const where = object ? `${object.kind}/${object.metadata.name}` : '?';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
