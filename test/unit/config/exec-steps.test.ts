import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { readLocalStepSettings, type LocalStepSettings } from '../../../src/config/local-settings.ts';

/** exec steps name their program in the runbook; the operator's allow-list decides at load. */
const runbookWith = (steps: string) =>
  `name: rb\nmatch: ['alertname = "A"']\ntarget: ctl\nparams:\n  deploy: { from: '{{labels.deployment}}', pattern: '[a-z][a-z0-9-]{0,40}' }\nsteps:\n${steps}`;

const LOCAL: LocalStepSettings = {
  execAllow: ['/usr/bin/kubectl', '/opt/tools/'],
  execPath: ['/opt/tools'],
  execEnv: [],
};
const problemsOf = (steps: string, local = LOCAL) =>
  parseRunbook('runbooks/rb.yaml', runbookWith(steps), local).problems;

describe('exec steps at load', () => {
  it('accepts an allowed absolute program, a program under an allowed directory and a bare name found in REMEDIATOR_EXEC_PATH', () => {
    const steps =
      `  - name: a\n    exec: { command: [/usr/bin/kubectl, rollout, restart, 'deployment/{{params.deploy}}'] }\n` +
      `  - name: b\n    exec: { command: [/opt/tools/sub/fix, x] }\n` +
      `  - name: c\n    exec: { command: [fix], env: { NAME: '{{params.deploy}}' }, cwd: /tmp, timeout: 5s }\n`;
    expect(problemsOf(steps)).toEqual([]);
  });

  it('refuses a program outside the allow-list, with its line', () => {
    expect(problemsOf(`  - name: fix\n    exec:\n      command: [/usr/bin/curl, x]\n`)).toEqual([
      'runbooks/rb.yaml:9: step "fix": exec.command[0]: "/usr/bin/curl" is not allowed by REMEDIATOR_EXEC_ALLOW (it holds /usr/bin/kubectl, /opt/tools/)',
    ]);
  });

  it('refuses every exec step while REMEDIATOR_EXEC_ALLOW is empty (the default)', () => {
    const none = { execAllow: [], execPath: [], execEnv: [] };
    expect(problemsOf(`  - name: fix\n    exec: { command: [/usr/bin/kubectl] }\n`, none)).toEqual([
      'runbooks/rb.yaml:8: step "fix": exec.command[0]: "/usr/bin/kubectl" is not allowed by REMEDIATOR_EXEC_ALLOW (it is empty)',
    ]);
  });

  it('refuses a program that climbs out of an allowed directory', () => {
    expect(problemsOf(`  - name: fix\n    exec: { command: [/opt/tools/../../bin/sh] }\n`)).toEqual([
      'runbooks/rb.yaml:8: step "fix": exec.command[0]: "/opt/tools/../../bin/sh" is not allowed by REMEDIATOR_EXEC_ALLOW (it holds /usr/bin/kubectl, /opt/tools/)',
    ]);
  });

  it('refuses a templated program: not even a checked param may choose what runs', () => {
    expect(problemsOf(`  - name: fix\n    exec: { command: ['/opt/tools/{{params.deploy}}'] }\n`)).toEqual([
      'runbooks/rb.yaml:8: step "fix": exec.command[0]: "/opt/tools/{{params.deploy}}": the program must be written out in the runbook, not templated',
    ]);
  });

  it('refuses a bare name when REMEDIATOR_EXEC_PATH is empty, and a relative path', () => {
    const noPath = { ...LOCAL, execPath: [] };
    expect(problemsOf(`  - name: fix\n    exec: { command: [kubectl] }\n`, noPath)).toEqual([
      'runbooks/rb.yaml:8: step "fix": exec.command[0]: "kubectl" is a bare name and REMEDIATOR_EXEC_PATH is empty: write its absolute path, or set REMEDIATOR_EXEC_PATH',
    ]);
    expect(problemsOf(`  - name: fix\n    exec: { command: [./fix] }\n`)).toEqual([
      `runbooks/rb.yaml:8: step "fix": exec.command[0]: "./fix": write the program's absolute path or a bare name`,
    ]);
  });

  it('refuses alert data named directly in argv and env (only params pass)', () => {
    const argv = problemsOf(
      `  - name: fix\n    exec:\n      command: [/usr/bin/kubectl, '{{labels.deployment}}']\n`,
    );
    expect(argv).toHaveLength(1);
    expect(argv[0]).toMatch(
      /^runbooks\/rb\.yaml:9: step "fix": exec\.command\[1\]: template "\{\{labels\.deployment\}\}": "labels\.deployment" is alert data/,
    );
    const env = problemsOf(
      `  - name: fix\n    exec:\n      command: [/usr/bin/kubectl]\n      env: { X: '{{annotations.a}}' }\n`,
    );
    expect(env).toHaveLength(1);
    expect(env[0]).toMatch(
      /^runbooks\/rb\.yaml:10: step "fix": exec\.env\.X: template "\{\{annotations\.a\}\}": "annotations\.a" is alert data/,
    );
  });

  it('refuses a templated cwd, a relative cwd, a bad env name and an unknown key', () => {
    const problems = problemsOf(
      `  - name: fix\n    exec:\n      command: [/usr/bin/kubectl]\n      cwd: relative\n      env: { 'A-B': x }\n      tiemout: 5s\n`,
    );
    expect(problems).toEqual([
      'runbooks/rb.yaml:12: step "fix": exec: unknown key "tiemout" (did you mean "timeout"?)',
      'runbooks/rb.yaml:11: step "fix": exec.env: invalid name "A-B": use letters, digits and _',
      'runbooks/rb.yaml:10: step "fix": exec.cwd: must be an absolute path, e.g. /var/lib/remediator (got "relative")',
    ]);
    expect(
      problemsOf(`  - name: fix\n    exec: { command: [/usr/bin/kubectl], cwd: '/srv/{{params.deploy}}' }\n`),
    ).toEqual([
      'runbooks/rb.yaml:8: step "fix": exec.cwd: "/srv/{{params.deploy}}": cwd must be written out in the runbook, not templated',
    ]);
  });

  it('checks an undo the same way', () => {
    expect(
      problemsOf(
        `  - name: fix\n    exec: { command: [/usr/bin/kubectl] }\n    undo:\n      exec: { command: [/bin/rm] }\n`,
      ),
    ).toEqual([
      'runbooks/rb.yaml:10: step "fix": undo.exec.command[0]: "/bin/rm" is not allowed by REMEDIATOR_EXEC_ALLOW (it holds /usr/bin/kubectl, /opt/tools/)',
    ]);
  });
});

describe('REMEDIATOR_EXEC_* settings', () => {
  it('reads the lists and refuses relative paths and a PATH directory the allow-list does not cover', () => {
    const problems: string[] = [];
    const local = readLocalStepSettings(
      {
        REMEDIATOR_EXEC_ALLOW: '/usr/bin/kubectl, /opt/tools/,bin/x',
        REMEDIATOR_EXEC_PATH: '/opt/tools:/usr/bin',
        REMEDIATOR_EXEC_ENV: 'KUBECONFIG,BAD-NAME',
        REMEDIATOR_ANSIBLE_PLAYBOOKS: 'playbooks',
      },
      problems,
    );
    expect(local.execAllow).toEqual(['/usr/bin/kubectl', '/opt/tools/', 'bin/x']);
    expect(problems).toEqual([
      'REMEDIATOR_EXEC_ALLOW: "bin/x" must be an absolute, normalised path',
      'REMEDIATOR_EXEC_PATH: /usr/bin is not a directory REMEDIATOR_EXEC_ALLOW allows (add "/usr/bin/" to it)',
      'REMEDIATOR_EXEC_ENV: "BAD-NAME" is not a variable name',
      'REMEDIATOR_ANSIBLE_PLAYBOOKS: "playbooks" must be an absolute, normalised path',
    ]);
  });
});
