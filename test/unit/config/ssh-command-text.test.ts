import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import type { SshStepSpec } from '../../../src/types.ts';
import { joinArgv } from '../../../src/execute/shell-quote.ts';
import { templateContext } from '../../../src/execute/template.ts';

/**
 * A runbook's own text in an ssh command goes through the same quoting as alert data, so what no
 * quoting carries to every login shell is refused at load, with file:line (src/execute/shell-quote.ts).
 */
const runbookWith = (steps: string) =>
  `name: rb\nmatch: ['alertname = "A"']\ntarget: '{{labels.instance}}'\nsteps:\n${steps}`;

const problemsOf = (text: string) => parseRunbook('runbooks/rb.yaml', text).problems;

const RULE =
  'an ssh command line carries printable ASCII, space and TAB only, because every login shell ' +
  '(sh, bash, zsh, fish, csh, yash...) must read it the same way';

describe('ssh command text written in a runbook', () => {
  it('refuses a multi-line script at its line (csh and tcsh cannot take a newline in quotes)', () => {
    const text = runbookWith(
      `  - name: fix\n    ssh:\n      command:\n        - sh\n        - -c\n        - |\n          a\n          b\n`,
    );
    expect(problemsOf(text)).toEqual([
      `runbooks/rb.yaml:10: step "fix": ssh.command[2]: "a\\nb\\n" contains a control character, line feed (U+000A); ${RULE}`,
    ]);
  });

  it('refuses non-ASCII text, in an undo too', () => {
    const text = runbookWith(
      `  - name: fix\n    ssh: { command: [echo, ok] }\n    undo:\n      ssh: { command: [echo, 'café {{labels.x}}'] }\n`,
    );
    expect(problemsOf(text)).toEqual([
      `runbooks/rb.yaml:8: step "fix": undo.ssh.command[1]: "café {{labels.x}}" contains a non-ASCII character, U+00E9; ${RULE}`,
    ]);
  });

  it("accepts backslashes and '!' (quoted outside single quotes) and a template comment", () => {
    const text = runbookWith(
      `  - name: fix\n    ssh: { command: [sh, -c, 'printf "%s\\n" "$1"!', '{{! a comment }}x\\{{y}}'] }\n`,
    );
    const result = parseRunbook('runbooks/rb.yaml', text);
    expect(result.problems).toEqual([]);
    const action = result.runbook!.steps[0]!.action as SshStepSpec;
    const context = templateContext(
      {
        status: 'firing',
        labels: {},
        annotations: {},
        startsAt: '',
        endsAt: '',
        generatorURL: '',
        fingerprint: 'f',
      },
      'rb',
      't',
    );
    const argv = action.command.map((arg) => arg(context));
    expect(argv).toEqual(['sh', '-c', 'printf "%s\\n" "$1"!', 'x{{y}}']);
    expect(joinArgv(argv)).toBe(`sh -c 'printf "%s'\\\\'n" "$1"'\\! 'x{{y}}'`);
  });
});
