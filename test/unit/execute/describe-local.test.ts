import { describe, expect, it } from 'vitest';
import type { LocalStepSettings } from '../../../src/config/local-settings.ts';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { describeLocal, localCommandText } from '../../../src/execute/describe-local.ts';
import { commandText } from '../../../src/http/ui/views.ts';
import { describeAction } from '../../../src/record/approval-notify.ts';
import { renderSteps } from '../../../src/execute/render-run.ts';
import type { Alert, RenderedAction } from '../../../src/types.ts';

const local: LocalStepSettings = {
  execAllow: ['/usr/bin/printf'],
  execPath: [],
  execEnv: [],
  playbooksDir: '/pb',
};

/** The exec and ansible actions of a runbook whose param admits any one line (a permissive author). */
function rendered(value: string) {
  const text = [
    'name: rb',
    'match: [\'alertname = "A"\']',
    'target: box',
    "params: { v: { from: '{{labels.v}}', pattern: '[^\\n]{1,60}' } }",
    'steps:',
    "  - { name: e, exec: { command: [/usr/bin/printf, '%s', '{{params.v}}'], env: { V: '{{params.v}}' } } }",
    "  - { name: a, ansible: { playbook: p.yml, extraVars: { v: '{{params.v}}' } } }",
    '',
  ].join('\n');
  const result = parseRunbook('rb.yaml', text, local);
  expect(result.problems).toEqual([]);
  const alert: Alert = {
    status: 'firing',
    labels: { alertname: 'A', v: value },
    annotations: {},
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: 'abc',
  };
  return renderSteps(result.runbook!, alert, 'box') as Array<
    Extract<RenderedAction, { kind: 'exec' | 'ansible' }>
  >;
}

describe('how exec and ansible actions are shown to an approver', () => {
  // An approver reads these in Slack, the console and a terminal. A right-to-left override shows
  // `restart web-1\u202e;0 yek` as something else than what runs, a zero-width space hides an
  // element's real edge, and U+009B is CSI to a terminal reading 8-bit controls.
  const HIDDEN = 'web-1\u202egnp.exe\u2066\u200b\u00ad\u009b2K\u007f\u2028\ufeff';

  it('writes invisible, reordering and control characters as \\u escapes, in every form', () => {
    for (const action of rendered(HIDDEN)) {
      for (const text of [describeLocal(action), localCommandText(action)]) {
        expect(text).not.toMatch(
          /[\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u206f\ufeff]/,
        );
        expect(text).toContain('web-1\\u202egnp.exe\\u2066\\u200b\\u00ad\\u009b2K\\u007f\\u2028\\ufeff');
      }
    }
  });

  it('does the same for an http body and ssh stdin, in approval messages and the console', () => {
    const http: RenderedAction = {
      kind: 'http',
      method: 'POST',
      path: '/x',
      headers: {},
      body: { v: HIDDEN },
      expect: [200],
      timeoutMs: 1000,
    } as unknown as RenderedAction;
    const ssh = { kind: 'ssh', argv: ['x'], stdin: 'a\u202eb', timeoutMs: 1000 } as RenderedAction;
    expect(describeAction(http)).toContain('"web-1\\u202egnp.exe');
    expect(describeAction(ssh)).toBe('ssh: x <<< "a\\u202eb"');
    // The console's run and approval pages.
    expect(commandText(http)).toContain('"v": "web-1\\u202egnp.exe');
    expect(commandText(ssh)).toBe('$ x\n<<stdin\na\\u202eb\nstdin');
  });

  it('still shows ordinary text, non-ASCII letters included, as it is', () => {
    const [exec] = rendered('Größe ünd "quotes" $(id)');
    expect(describeLocal(exec!)).toBe(
      'exec ["/usr/bin/printf","%s","Größe ünd \\"quotes\\" $(id)"] env {"V":"Größe ünd \\"quotes\\" $(id)"}',
    );
  });
});
