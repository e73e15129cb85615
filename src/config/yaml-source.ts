import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/** A parsed YAML file that can say on which line any value (or key) stands. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** 1-based line of the value at `path` (or of its nearest existing ancestor). */
  lineOf(path: readonly (string | number)[]): number;
  /** 1-based line of the key `key` inside the map at `path`. */
  lineOfKey(path: readonly (string | number)[], key: string): number;
}

export type YamlParse = { ok: true; source: YamlSource } | { ok: false; problems: string[] };

/** Parses YAML strictly: duplicate keys and syntax errors are problems with file:line. */
export function parseYaml(file: string, text: string): YamlParse {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const line = lineCounter.linePos(e.pos[0]).line;
      return `${file}:${line}: invalid YAML: ${firstLine(e.message)}`;
    });
    return { ok: false, problems };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return { ok: true, source: makeSource(file, doc, lineCounter, value) };
}

function makeSource(file: string, doc: Document, lc: LineCounter, value: unknown): YamlSource {
  const lineAt = (node: Node | null | undefined): number | undefined => {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lc.linePos(offset).line;
  };
  const nodeAt = (path: readonly (string | number)[]): Node | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (node && typeof node === 'object' && 'range' in node) return node as Node;
    }
    return undefined;
  };
  return {
    file,
    value,
    lineOf: (path) => lineAt(nodeAt(path)) ?? 1,
    lineOfKey: (path, key) => {
      const map = nodeAt(path);
      if (isMap(map)) {
        for (const item of map.items) {
          if (isPair(item) && isScalar(item.key) && String(item.key.value) === key) {
            return lineAt(item.key) ?? 1;
          }
        }
      }
      return lineAt(map) ?? 1;
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
