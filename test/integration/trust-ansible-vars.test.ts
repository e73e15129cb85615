/**
 * The extra vars file remediator writes, read back by Ansible's own loader (Debian's ansible-core, the
 * one ansible-playbook uses): hostile label values meant to break out of the YAML string (quotes, a
 * YAML tag, anchors, line breaks YAML 1.1 knows, Jinja of every kind) come back as exactly one
 * string each, marked unsafe (never templated), and add no variable.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { extraVarsFile } from '../../src/execute/ansible-files.ts';

const HOSTILE: Record<string, string> = {
  tag: '!!python/object/apply:os.system ["id"]',
  anchors: '&x [1, 2] *x',
  breakout: '"}, evil: !!python/name:os.system {"',
  escapes: '\\"\\\\\\u0041\\x41',
  breaks: 'a\nb\r\nc\u0085d\u2028e\u2029f',
  jinja: "{% raw %}{{ 7*7 }}{% endraw %}{# c #}{{ lookup('pipe', 'id') }}",
  odd: 'tab\there\u007f\u009b\u0000x\ud83d\ude00\ufeff',
  empty: '',
};

// Prints, per name, whether the value is the same string and marked unsafe; and the names read.
const READER = `
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.utils.unsafe_proxy import AnsibleUnsafe
d = DataLoader().load_from_file(sys.argv[1])
exp = json.load(open(sys.argv[2]))
print(json.dumps({'names': sorted(d), 'same': {k: d.get(k) == exp[k] and isinstance(d[k], AnsibleUnsafe) for k in exp}}))
`;

describe('extra vars file read by Ansible itself', () => {
  it('gives back each hostile value exactly, as one unsafe string', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remediator-trust-vars-'));
    try {
      await writeFile(join(dir, 'vars.yml'), extraVarsFile(HOSTILE));
      await writeFile(join(dir, 'expected.json'), JSON.stringify(HOSTILE));
      await writeFile(join(dir, 'read.py'), READER);
      const { stdout } = await promisify(execFile)('/usr/bin/python3', [
        join(dir, 'read.py'),
        join(dir, 'vars.yml'),
        join(dir, 'expected.json'),
      ]);
      expect(JSON.parse(stdout)).toEqual({
        names: Object.keys(HOSTILE).sort(),
        same: Object.fromEntries(Object.keys(HOSTILE).map((k) => [k, true])),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
