import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../../demo/fleet.ts';
import { loadInventory, parseInventory, resolveSecrets } from '../../../src/config/inventory.ts';
import { ConfigError } from '../../../src/errors.ts';
import type { Inventory } from '../../../src/types.ts';

const REPO_INVENTORY = fileURLToPath(new URL('../../../inventory.yaml', import.meta.url));

let dir: string;
let file: string;
const env = { API_TOKEN: 'env-token', OTHER: 'other' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inventory-'));
  file = join(dir, 'inventory.yaml');
  await mkdir(join(dir, 'secrets'));
  await writeFile(join(dir, 'secrets', 'token'), 'file-token\n');
  await writeFile(join(dir, 'secrets', 'crlf'), 'crlf-token\r\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const parse = (text: string): Inventory => parseInventory(file, text, { env });

/** The problems of an inventory that does not load. */
function problemsOf(text: string): readonly string[] {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('the inventory loaded');
}

describe('parseInventory: a valid inventory', () => {
  const text = `defaults:
  ssh:
    user: remediator
    port: 2222
    key: keys/id_ed25519
    knownHosts: keys/known_hosts
targets:
  app-1:8081:
    ssh: { host: 10.0.0.1 }
    http:
      baseUrl: 'http://10.0.0.1:8081/'
      headers:
        Authorization: 'Bearer \${file:secrets/token}'
        X-Both: '\${env:API_TOKEN}/\${env:OTHER}'
  lb-1:
    ssh:
      host: lb.example
      user: root
      port: 22
      key: /etc/remediator/lb_key
      hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample
  api:
    http: { baseUrl: 'https://api.example/v1' }
`;

  it('merges defaults and resolves relative paths against the file', () => {
    const inventory = parse(text);
    expect([...inventory.keys()]).toEqual(['app-1:8081', 'lb-1', 'api']);
    expect(inventory.get('app-1:8081')).toEqual({
      name: 'app-1:8081',
      ssh: {
        host: '10.0.0.1',
        port: 2222,
        user: 'remediator',
        keyFile: join(dir, 'keys/id_ed25519'),
        hostKeys: [],
        knownHostsFile: join(dir, 'keys/known_hosts'),
      },
      http: {
        baseUrl: 'http://10.0.0.1:8081',
        headers: { authorization: 'Bearer file-token', 'x-both': 'env-token/other' },
        // What ${file:} and ${env:} resolved to, redacted from whatever a target sends back.
        secrets: ['file-token', 'env-token', 'other'],
      },
    });
  });

  it('lets a target override defaults, keeps absolute paths and takes one host key as a list', () => {
    expect(parse(text).get('lb-1')).toEqual({
      name: 'lb-1',
      ssh: {
        host: 'lb.example',
        port: 22,
        user: 'root',
        keyFile: '/etc/remediator/lb_key',
        hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample'],
        // knownHosts comes from the defaults; both may be set.
        knownHostsFile: join(dir, 'keys/known_hosts'),
      },
    });
  });

  it('leaves out sections a target does not have, and defaults port 22', () => {
    const inventory = parse(`targets:
  api:
    http: { baseUrl: 'https://api.example/v1//' }
  box:
    ssh: { host: box, user: u, key: k, hostKey: [ssh-ed25519 AAAA1, ssh-rsa AAAA2] }
`);
    expect(inventory.get('api')).toEqual({
      name: 'api',
      http: { baseUrl: 'https://api.example/v1', headers: {} },
    });
    expect(inventory.get('box')).toEqual({
      name: 'box',
      ssh: {
        host: 'box',
        port: 22,
        user: 'u',
        keyFile: join(dir, 'k'),
        hostKeys: ['ssh-ed25519 AAAA1', 'ssh-rsa AAAA2'],
      },
    });
  });

  it('freezes every target', () => {
    const target = parse(text).get('api')!;
    expect(Object.isFrozen(target)).toBe(true);
  });

  it('loads the repository inventory: every demo fleet instance by name, on its port', async () => {
    const inventory = await loadInventory(REPO_INVENTORY, { env: {} });
    const fleet = await loadFleet(fileURLToPath(new URL('../../../demo/fleet.yaml', import.meta.url)));
    expect([...inventory.keys()]).toEqual(fleet.map((item) => item.name));
    for (const item of fleet) {
      const target = inventory.get(item.name);
      expect({ name: item.name, baseUrl: target?.http?.baseUrl }).toEqual({
        name: item.name,
        baseUrl: `http://127.0.0.1:${item.port}`,
      });
      expect(target?.ssh).toMatchObject({ host: '127.0.0.1', port: 2222, user: 'remediator' });
    }
    // Where docker-compose.yml's demo-keys service writes them (volume demo-ssh-client at /app/data/demo).
    expect(inventory.get('app-1:8081')?.ssh).toMatchObject({
      keyFile: fileURLToPath(new URL('../../../data/demo/id_ed25519', import.meta.url)),
      knownHostsFile: fileURLToPath(new URL('../../../data/demo/known_hosts', import.meta.url)),
    });
  });
});

describe('secrets in header values', () => {
  it('reads ${file:...} relative to the inventory, trimming one trailing line break', () => {
    expect(resolveSecrets('${file:secrets/token}', { env }, dir)).toBe('file-token');
    expect(resolveSecrets('${file:secrets/crlf}', { env }, dir)).toBe('crlf-token');
    expect(resolveSecrets(`x \${file:${join(dir, 'secrets/token')}} y`, { env }, '/')).toBe('x file-token y');
  });

  it('reads ${env:...} and leaves other text alone', () => {
    expect(resolveSecrets('${env:API_TOKEN}', { env }, dir)).toBe('env-token');
    expect(resolveSecrets('$API_TOKEN {env:API_TOKEN} ${other:x}', { env }, dir)).toBe(
      '$API_TOKEN {env:API_TOKEN} ${other:x}',
    );
  });

  it('reports an unset variable at the header line', () => {
    const text = `targets:\n  api:\n    http:\n      baseUrl: http://api\n      headers:\n        X-Token: '\${env:NOT_SET}'\n`;
    expect(problemsOf(text)).toEqual([
      `${file}:6: target "api": http.headers.X-Token: environment variable NOT_SET is not set`,
    ]);
  });

  it('reports a missing secret file at the header line', () => {
    const text = `targets:\n  api:\n    http:\n      baseUrl: http://api\n      headers:\n        Authorization: 'Bearer \${file:secrets/missing}'\n`;
    expect(problemsOf(text)).toEqual([
      `${file}:6: target "api": http.headers.Authorization: cannot read secret file secrets/missing`,
    ]);
  });
});

describe('parseInventory: problems name file:line and the target', () => {
  it('refuses ssh without hostKey or knownHosts', () => {
    expect(problemsOf(`targets:\n  box:\n    ssh: { host: box, user: u, key: k }\n`)).toEqual([
      `${file}:3: target "box": ssh: needs "hostKey" or "knownHosts": host keys are always verified`,
    ]);
  });

  it('names every missing connection field', () => {
    expect(problemsOf(`targets:\n  box:\n    ssh: { port: 22, hostKey: ssh-ed25519 AAAA }\n`)).toEqual([
      `${file}:3: target "box": ssh: missing "host", "user", "key" (here or under defaults.ssh)`,
    ]);
    expect(
      problemsOf(`defaults:\n  ssh: { user: u }\ntargets:\n  box:\n    ssh: { host: h, knownHosts: kh }\n`),
    ).toEqual([`${file}:5: target "box": ssh: missing "key" (here or under defaults.ssh)`]);
  });

  it('refuses a target with neither ssh nor http', () => {
    expect(problemsOf(`targets:\n  empty: {}\n  bare:\n`)).toEqual([
      `${file}:2: target "empty": needs an ssh or http section (or both), or local: true for a target only exec steps act on`,
      `${file}:3: target "bare": needs an ssh or http section (or both), or local: true for a target only exec steps act on`,
    ]);
    expect(parse(`targets:\n  prod-cluster: { local: true }\n`).get('prod-cluster')).toEqual({
      name: 'prod-cluster',
      local: true,
    });
  });

  it('refuses an http section without a baseUrl', () => {
    expect(problemsOf(`targets:\n  api:\n    http: { headers: { X-A: b } }\n`)).toEqual([
      `${file}:3: target "api": http: missing "baseUrl" (here or under defaults.http)`,
    ]);
  });

  it('reports unknown keys at their line', () => {
    expect(problemsOf(`targets:\n  box:\n    ssh:\n      host: h\n      usr: u\n`)).toEqual([
      `${file}:5: target "box": ssh: unknown key "usr" (did you mean "user"?)`,
    ]);
    expect(problemsOf(`defaults:\n  shh: {}\ntargets: {}\n`)).toEqual([
      `${file}:2: inventory: defaults: unknown key "shh" (did you mean "ssh"?)`,
    ]);
  });

  it('refuses a baseUrl that is not http(s)', () => {
    expect(problemsOf(`targets:\n  api:\n    http: { baseUrl: 'ftp://api.example' }\n`)).toEqual([
      `${file}:3: target "api": http.baseUrl: must be an http:// or https:// URL (got "ftp://api.example")`,
    ]);
  });

  it('refuses a port out of range', () => {
    expect(
      problemsOf(`targets:\n  box:\n    ssh: { host: h, user: u, key: k, hostKey: x, port: 70000 }\n`),
    ).toEqual([`${file}:3: target "box": ssh.port: must be <= 65535 (got 70000)`]);
  });

  it('reports the problems of several targets at once', () => {
    const text = `targets:
  a:
    ssh: { host: h, user: u, key: k }
  b: {}
  c:
    http: { baseUrl: http://c, headers: { X: '\${env:NOPE}' } }
`;
    expect(problemsOf(text)).toEqual([
      `${file}:3: target "a": ssh: needs "hostKey" or "knownHosts": host keys are always verified`,
      `${file}:4: target "b": needs an ssh or http section (or both), or local: true for a target only exec steps act on`,
      `${file}:6: target "c": http.headers.X: environment variable NOPE is not set`,
    ]);
  });

  it('refuses a file without targets, invalid YAML and a file that is not a mapping', () => {
    expect(problemsOf(`defaults: {}\n`)).toEqual([`${file}:1: inventory: missing required key "targets"`]);
    expect(problemsOf(`targets: [\n`)).toEqual([
      expect.stringMatching(new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+: invalid YAML: `)),
    ]);
    expect(problemsOf('')).toEqual([`${file}:1: inventory: must be object (got null)`]);
  });

  it('says which file it cannot read', async () => {
    const missing = join(dir, 'missing.yaml');
    await expect(loadInventory(missing, { env })).rejects.toThrow(
      new ConfigError([`${missing}: cannot read the inventory file (set REMEDIATOR_INVENTORY)`]),
    );
    const err = await loadInventory(missing, { env }).catch((e: unknown) => e);
    expect((err as ConfigError).problems).toEqual([
      `${missing}: cannot read the inventory file (set REMEDIATOR_INVENTORY)`,
    ]);
  });
});

describe('inventory fixes', () => {
  it('merges header maps from defaults and the target', () => {
    const inv = parse(`defaults:
  http: { headers: { authorization: "Bearer \${env:API_TOKEN}", x-a: a } }
targets:
  t: { http: { baseUrl: "http://h:1", headers: { x-b: b } } }
`);
    expect(inv.get('t')!.http!.headers).toEqual({
      authorization: 'Bearer env-token',
      'x-a': 'a',
      'x-b': 'b',
    });
  });
  it('refuses a base URL that does not parse, at its line', () => {
    expect(problemsOf(`targets:\n  t:\n    http:\n      baseUrl: "http://"\n`)).toEqual([
      `${file}:4: target "t": http.baseUrl: "http://" is not a usable base URL (e.g. http://10.0.0.11:8081)`,
    ]);
  });
});
