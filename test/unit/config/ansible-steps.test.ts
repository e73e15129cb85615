import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import type { LocalStepSettings } from '../../../src/config/local-settings.ts';
import type { AnsibleStepSpec } from '../../../src/types.ts';

/** ansible steps name a playbook under the operator's directory, and pass params only as extra vars. */
const runbookWith = (steps: string) =>
  `name: rb\nmatch: ['alertname = "A"']\ntarget: box\nparams:\n  svc: { from: '{{labels.service}}', pattern: '[a-z]{1,20}' }\nsteps:\n${steps}`;
const LOCAL: LocalStepSettings = { execAllow: [], execPath: [], execEnv: [], playbooksDir: '/srv/playbooks' };
const problemsOf = (steps: string, local = LOCAL) =>
  parseRunbook('runbooks/rb.yaml', runbookWith(steps), local).problems;

describe('ansible steps at load', () => {
  it('resolves the playbook under REMEDIATOR_ANSIBLE_PLAYBOOKS', () => {
    const result = parseRunbook(
      'runbooks/rb.yaml',
      runbookWith(
        `  - name: play\n    ansible: { playbook: web/restart.yml, extraVars: { service: '{{params.svc}}' }, tags: [restart] }\n`,
      ),
      LOCAL,
    );
    expect(result.problems).toEqual([]);
    const action = result.runbook!.steps[0]!.action as AnsibleStepSpec;
    expect({ ...action, extraVars: Object.keys(action.extraVars) }).toEqual({
      kind: 'ansible',
      playbook: '/srv/playbooks/web/restart.yml',
      extraVars: ['service'],
      tags: ['restart'],
      timeoutMs: 300_000,
    });
  });

  it('refuses every ansible step while REMEDIATOR_ANSIBLE_PLAYBOOKS is unset', () => {
    const none = { execAllow: [], execPath: [], execEnv: [] };
    expect(problemsOf(`  - name: play\n    ansible: { playbook: restart.yml }\n`, none)).toEqual([
      'runbooks/rb.yaml:8: step "play": ansible.playbook: ansible steps need REMEDIATOR_ANSIBLE_PLAYBOOKS, the directory playbooks live under',
    ]);
  });

  it('refuses a playbook outside the directory, and one chosen by a template', () => {
    expect(problemsOf(`  - name: play\n    ansible: { playbook: ../etc/evil.yml }\n`)).toEqual([
      'runbooks/rb.yaml:8: step "play": ansible.playbook: "../etc/evil.yml": give a path relative to REMEDIATOR_ANSIBLE_PLAYBOOKS, without "." or ".." segments',
    ]);
    expect(problemsOf(`  - name: play\n    ansible: { playbook: /etc/evil.yml }\n`)).toEqual([
      'runbooks/rb.yaml:8: step "play": ansible.playbook: must be a path relative to REMEDIATOR_ANSIBLE_PLAYBOOKS, e.g. restart.yml (got "/etc/evil.yml")',
    ]);
    expect(problemsOf(`  - name: play\n    ansible: { playbook: '{{params.svc}}.yml' }\n`)).toEqual([
      'runbooks/rb.yaml:8: step "play": ansible.playbook: "{{params.svc}}.yml": the playbook must be written out in the runbook, not templated',
    ]);
  });

  it("refuses alert data in extra vars except through params, and Ansible's own variable names", () => {
    const raw = problemsOf(
      `  - name: play\n    ansible: { playbook: p.yml, extraVars: { x: '{{labels.service}}' } }\n`,
    );
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatch(
      /^runbooks\/rb\.yaml:8: step "play": ansible\.extraVars\.x: template "\{\{labels\.service\}\}": "labels\.service" is alert data/,
    );
    expect(
      problemsOf(
        `  - name: play\n    ansible: { playbook: p.yml, extraVars: { ansible_ssh_common_args: '{{params.svc}}' } }\n`,
      ),
    ).toEqual([
      'runbooks/rb.yaml:8: step "play": ansible.extraVars.ansible_ssh_common_args: "ansible_ssh_common_args" is a variable Ansible itself uses; choose another name',
    ]);
  });

  // The name is written into the vars file as a YAML key: `x: "", ansible_host` would set ansible_host
  // from the param, past the check above (the schema's name rule holds).
  it('refuses an extra var name that is not an identifier', () => {
    expect(
      problemsOf(
        `  - name: play\n    ansible: { playbook: p.yml, extraVars: { 'x: "", ansible_host': '{{params.svc}}' } }\n`,
      ),
    ).toEqual([
      'runbooks/rb.yaml:8: step "play": ansible.extraVars: invalid name "x: "", ansible_host": use letters, digits and _',
    ]);
  });

  it('refuses a tag that is not a plain word and an unknown key', () => {
    expect(
      problemsOf(
        `  - name: play\n    ansible:\n      playbook: p.yml\n      tags: ['a,b']\n      limit: all\n`,
      ),
    ).toEqual([
      'runbooks/rb.yaml:11: step "play": ansible: unknown key "limit" (known keys: playbook, extraVars, tags, timeout)',
      'runbooks/rb.yaml:10: step "play": ansible.tags.0: must be a tag: letters, digits, _, . and - (got "a,b")',
    ]);
  });
});
