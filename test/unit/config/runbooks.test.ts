import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRunbooks, parseRunbook } from '../../../src/config/runbooks.ts';
import { ConfigError, RemediatorError } from '../../../src/errors.ts';
import { templateContext } from '../../../src/execute/template.ts';
import { parseMatcher } from '../../../src/match/matcher.ts';
import type { Alert, HttpStepSpec, Runbook, SshStepSpec } from '../../../src/types.ts';

const EXAMPLES = fileURLToPath(new URL('../../../runbooks', import.meta.url));
const FLEET_EXAMPLES = fileURLToPath(new URL('../../../examples/runbooks', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../fixtures/runbooks-broken', import.meta.url));

/** The problems parseRunbook reports for a text, failing the test if it loads. */
function problemsOf(text: string, file = 'rb.yaml'): string[] {
  const result = parseRunbook(file, text);
  expect(result.runbook).toBeUndefined();
  return result.problems;
}

function load(text: string, file = 'rb.yaml'): Runbook {
  const result = parseRunbook(file, text);
  expect(result.problems).toEqual([]);
  return result.runbook!;
}

/** A runbook whose first three lines are name, match and target; `rest` starts at line 4. */
const runbookWith = (rest: string) =>
  `name: rb\nmatch: ['alertname = "HighMemoryUsage"']\ntarget: '{{labels.instance}}'\n${rest}`;

const alert: Alert = {
  status: 'firing',
  labels: { alertname: 'HighMemoryUsage', instance: 'app-1:8081', service: 'user-service' },
  annotations: {},
  startsAt: '2026-11-21T07:18:09.123Z',
  endsAt: '',
  generatorURL: '',
  fingerprint: '0f17f6a7c893adf7',
};

async function caught(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('parseRunbook: a valid runbook', () => {
  const text = `name: restart-app
match:
  - alertname = "HighMemoryUsage"
  - service =~ "user-service|order-service"
target: '{{labels.instance}}'
params:
  service: { from: '{{labels.service}}', pattern: '[a-z-]+' }
  alertname: { from: '{{labels.alertname}}', pattern: '[A-Za-z]+' }
steps:
  - name: restart
    ssh:
      command: [systemctl, restart, '{{params.service}}']
  - name: notify
    http:
      path: /admin/notify
      headers: { X-Reason: 'alert {{params.alertname}}' }
  - name: check
    http: { method: GET, path: /healthz, expect: 204, timeout: 1m30s }
  - name: feed
    ssh: { command: [cat], stdin: "{{target}}", timeout: 500ms }
`;

  it('loads with its defaults filled in', () => {
    const rb = load(text, 'runbooks/restart.yaml');
    expect(rb.name).toBe('restart-app');
    expect(rb.description).toBe('');
    expect(rb.file).toBe('runbooks/restart.yaml');
    expect(rb.on).toBe('firing');
    expect(rb.match.map((m) => m.text)).toEqual([
      'alertname="HighMemoryUsage"',
      'service=~"user-service|order-service"',
    ]);
    expect(rb.params.map((p) => [p.name, p.pattern.source, p.allowLeadingDash])).toEqual([
      ['service', '[a-z-]+', false],
      ['alertname', '[A-Za-z]+', false],
    ]);
    expect(rb.steps.map((s) => s.name)).toEqual(['restart', 'notify', 'check', 'feed']);
    const [restart, notify, check, feed] = rb.steps.map((s) => s.action);
    expect(restart).toMatchObject({ kind: 'ssh', timeoutMs: 30_000 });
    expect((restart as SshStepSpec).stdin).toBeUndefined();
    expect(notify).toMatchObject({ kind: 'http', method: 'POST', expect: [], timeoutMs: 10_000 });
    expect((notify as HttpStepSpec).body).toBeUndefined();
    expect(check).toMatchObject({ kind: 'http', method: 'GET', expect: [204], timeoutMs: 90_000 });
    expect(feed).toMatchObject({ kind: 'ssh', timeoutMs: 500 });
  });

  it('compiles every template against the alert', () => {
    const rb = load(text);
    const ctx = templateContext(alert, rb.name, 'app-1:8081', {
      service: 'user-service',
      alertname: 'HighMemoryUsage',
    });
    expect(rb.target(ctx)).toBe('app-1:8081');
    expect(rb.params[0]!.from(ctx)).toBe('user-service');
    const restart = rb.steps[0]!.action as SshStepSpec;
    expect(restart.command.map((t) => t(ctx))).toEqual(['systemctl', 'restart', 'user-service']);
    // Header names are case-insensitive: they are kept lower-case.
    const notify = rb.steps[1]!.action as HttpStepSpec;
    expect(Object.keys(notify.headers)).toEqual(['x-reason']);
    expect(notify.headers['x-reason']!(ctx)).toBe('alert HighMemoryUsage');
  });

  it('keeps on: resolved, a description and a list of expected codes', () => {
    const rb = load(`name: rb
description: Says hello.
on: resolved
match: ['alertname = "A"']
target: lb-1
steps:
  - name: hello
    http: { path: /hello, expect: [200, 204] }
`);
    expect(rb.on).toBe('resolved');
    expect(rb.description).toBe('Says hello.');
    expect(rb.steps[0]!.action).toMatchObject({ expect: [200, 204] });
  });

  it('is frozen', () => {
    const rb = load(text);
    expect(Object.isFrozen(rb)).toBe(true);
    expect(Object.isFrozen(rb.steps)).toBe(true);
    expect(Object.isFrozen(rb.steps[0]!.action)).toBe(true);
    expect(() => {
      (rb as { name: string }).name = 'other';
    }).toThrow(TypeError);
  });
});

describe('parseRunbook: schema problems name file:line and the item', () => {
  it('suggests the nearest key for a misspelt one, at its line', () => {
    const text = runbookWith(`steps:
  - name: restart
    ssh:
      command: [systemctl, restart, app]
      tiemout: 30s
`);
    expect(problemsOf(text, 'runbooks/memory.yaml')).toEqual([
      'runbooks/memory.yaml:8: step "restart": ssh: unknown key "tiemout" (did you mean "timeout"?)',
    ]);
  });

  it('lists the known keys when an unknown key is near none of them', () => {
    expect(problemsOf(runbookWith(`retries: 3\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`))).toEqual([
      'rb.yaml:4: runbook "rb": unknown key "retries" (known keys: name, description, match, on, target, params, steps, policy, approval, dryRun, adaptive, pageHold)',
    ]);
    expect(
      problemsOf(runbookWith(`steps:\n  - name: s\n    ssh:\n      command: [x]\n      frobnicate: 1\n`)),
    ).toEqual(['rb.yaml:8: step "s": ssh: unknown key "frobnicate" (known keys: command, stdin, timeout)']);
  });

  it('reads the storm guard (a rate or off; unset leaves it to the setting) and refuses anything else', () => {
    const steps = `steps:\n  - name: s\n    ssh: { command: [x] }\n`;
    expect(load(runbookWith(`policy: { storm: 50 per 30s }\n${steps}`)).policy.storm).toEqual({
      limit: 50,
      windowMs: 30_000,
    });
    expect(load(runbookWith(`policy: { storm: 'off' }\n${steps}`)).policy.storm).toBe('off');
    expect(load(runbookWith(steps)).policy.storm).toBeUndefined();
    expect(problemsOf(runbookWith(`policy:\n  storm: lots\n${steps}`))).toEqual([
      'rb.yaml:5: runbook "rb": policy.storm: must be a rate like "100 per 1m", or off (got "lots")',
    ]);
  });

  it('reports a missing required key', () => {
    const text = `name: rb\nmatch: ['alertname = "A"']\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`;
    expect(problemsOf(text)).toEqual(['rb.yaml:1: runbook "rb": missing required key "target"']);
  });

  it('reports a step without a name by its position', () => {
    expect(
      problemsOf(runbookWith(`steps:\n  - name: a\n    ssh: { command: [x] }\n  - ssh: { command: [y] }\n`)),
    ).toEqual(['rb.yaml:7: step 2: missing required key "name"']);
  });

  it('reports a value of the wrong type with what it got', () => {
    const text = `name: rb\nmatch: 'alertname = "A"'\ntarget: x\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`;
    expect(problemsOf(text)).toEqual([
      'rb.yaml:2: runbook "rb": match: must be array (got "alertname = \\"A\\"")',
    ]);
    expect(problemsOf(runbookWith(`steps:\n  - name: s\n    ssh: { command: echo }\n`))).toEqual([
      'rb.yaml:6: step "s": ssh.command: must be array (got "echo")',
    ]);
  });

  it('refuses a duration with a space in it', () => {
    const text = runbookWith(`steps:\n  - name: s\n    ssh:\n      command: [x]\n      timeout: 30 s\n`);
    expect(problemsOf(text)).toEqual([
      'rb.yaml:8: step "s": ssh.timeout: must be a duration like 500ms, 30s, 5m or 1h30m (got "30 s")',
    ]);
  });

  it('refuses a step with both ssh and http, and a step with neither', () => {
    const both = runbookWith(`steps:\n  - name: s\n    ssh: { command: [x] }\n    http: { path: /x }\n`);
    expect(problemsOf(both)).toEqual([
      'rb.yaml:5: step "s": needs exactly one action: ssh, http, exec or ansible',
    ]);
    const neither = runbookWith(`steps:\n  - name: s\n`);
    expect(problemsOf(neither)).toEqual([
      'rb.yaml:5: step "s": needs exactly one action: ssh, http, exec or ansible',
    ]);
  });

  it('reports a YAML error on the line where it is', () => {
    expect(problemsOf(`name: rb\nmatch: ['a']\ntarget: x\nname: rb2\n`)).toEqual([
      'rb.yaml:4: invalid YAML: Map keys must be unique',
    ]);
  });

  it('refuses a parameter name that is not an identifier, once, at its line', () => {
    const text = runbookWith(
      `params:\n  ok: { from: x, pattern: x }\n  1bad: { from: x, pattern: x }\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`,
    );
    expect(problemsOf(text)).toEqual([
      'rb.yaml:6: runbook "rb": params: invalid name "1bad": letters, digits and _, not starting with a digit',
    ]);
  });

  it('refuses names that are not lower-case words', () => {
    const text = `name: Restart_App\nmatch: ['alertname = "A"']\ntarget: x\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`;
    expect(problemsOf(text)).toEqual([
      `rb.yaml:1: runbook "Restart_App": name: must be lower-case letters, digits and '-', at most 63 characters, e.g. restart-user-service (got "Restart_App")`,
    ]);
    expect(problemsOf(runbookWith(`steps:\n  - name: Do It\n    ssh: { command: [x] }\n`))).toEqual([
      `rb.yaml:5: step "Do It": name: must be lower-case letters, digits and '-', e.g. restart (got "Do It")`,
    ]);
  });

  it('refuses an unknown method and an out-of-range status code', () => {
    expect(problemsOf(runbookWith(`steps:\n  - name: s\n    http: { path: /x, method: FETCH }\n`))).toEqual([
      'rb.yaml:6: step "s": http.method: must be one of: GET, POST, PUT, PATCH, DELETE (got "FETCH")',
    ]);
    expect(problemsOf(runbookWith(`steps:\n  - name: s\n    http: { path: /x, expect: 99 }\n`))).toEqual([
      'rb.yaml:6: step "s": http.expect: must be a status code like 200, or a list like [200, 204] (got 99)',
    ]);
    expect(problemsOf(runbookWith(`steps:\n  - name: s\n    http: { path: admin }\n`))).toEqual([
      'rb.yaml:6: step "s": http.path: must be a path starting with /, e.g. /admin/pool (got "admin")',
    ]);
  });
});

describe('parseRunbook: compile problems name file:line and the item', () => {
  it('gives the E_MATCHER message of a bad matcher, at its line', () => {
    const text = `name: rb
match:
  - alertname = "A"
  - service =~ "user-(service"
target: x
steps:
  - name: s
    ssh: { command: [x] }
`;
    const matcherMessage = (() => {
      try {
        parseMatcher('service =~ "user-(service"');
      } catch (err) {
        expect((err as RemediatorError).code).toBe('E_MATCHER');
        return (err as Error).message;
      }
      throw new Error('the matcher parsed');
    })();
    expect(problemsOf(text)).toEqual([`rb.yaml:4: match[1]: ${matcherMessage}`]);
    expect(matcherMessage).toBe(
      'matcher "service =~ \\"user-(service\\"": invalid regex "user-(service": missing closing ); use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) and put a backslash before a literal ( ) [ { . * + ? |',
    );
  });

  it('reports bad template syntax at the line of the argument', () => {
    const text = runbookWith(`steps:
  - name: s
    ssh:
      command:
        - echo
        - '{{labels.instance'
`);
    // Checked up to "Parse error": the detail after it is cut off (see the report).
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(
        /^rb\.yaml:9: step "s": ssh\.command\[1\]: template "\{\{labels\.instance": Parse error/,
      ),
    ]);
  });

  it('refuses a template naming a parameter that is not declared', () => {
    const text = runbookWith(`steps:\n  - name: s\n    ssh:\n      command: [echo, '{{params.svc}}']\n`);
    expect(problemsOf(text)).toEqual([
      'rb.yaml:7: step "s": ssh.command[1]: template "{{params.svc}}": parameter "svc" is not declared under params',
    ]);
  });

  it('refuses a template using an unknown root name', () => {
    const known = '(use labels.X, annotations.X, params.X, target, alert.X or runbook.name)';
    expect(
      problemsOf(runbookWith(`steps:\n  - name: s\n    ssh:\n      command: [echo, '{{foo}}']\n`)),
    ).toEqual([`rb.yaml:7: step "s": ssh.command[1]: template "{{foo}}": unknown name "foo" ${known}`]);
    const target = `name: rb\nmatch: ['alertname = "A"']\ntarget: '{{instance}}'\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`;
    expect(problemsOf(target)).toEqual([
      `rb.yaml:3: runbook "rb": target: template "{{instance}}": unknown name "instance" ${known}`,
    ]);
  });

  it('points into headers and nested bodies', () => {
    const text = runbookWith(`steps:
  - name: a
    http:
      path: /x
      headers:
        X-Trace: '{{alert.endsAt}}'
  - name: b
    http:
      path: /x
      body:
        list: [1, '{{runbook}}', '{{target.host}}']
`);
    expect(problemsOf(text)).toEqual([
      'rb.yaml:9: step "a": http.headers.X-Trace: template "{{alert.endsAt}}": "alert.endsAt" is unknown (use alert.status, alert.fingerprint, alert.startsAt, alert.generatorURL)',
      'rb.yaml:14: step "b": http.body.list[1]: template "{{runbook}}": use "runbook.name"',
    ]);
  });

  it('refuses a parameter pattern that is not RE2', () => {
    const text = runbookWith(`params:
  svc:
    from: '{{labels.service}}'
    pattern: '[a-z'
steps:
  - name: s
    ssh: { command: [x] }
`);
    expect(problemsOf(text)).toEqual([
      'rb.yaml:7: param "svc": invalid regex "[a-z": missing closing ]; use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) and put a backslash before a literal ( ) [ { . * + ? |',
    ]);
  });

  it('refuses two steps of the same name, at the second', () => {
    const text = runbookWith(`steps:
  - name: restart
    ssh: { command: [x] }
  - name: check
    ssh: { command: [y] }
  - name: restart
    ssh: { command: [z] }
`);
    expect(problemsOf(text)).toEqual(['rb.yaml:9: step "restart": step name used twice']);
  });
});

describe('parseRunbook: files that are not a runbook mapping', () => {
  it('reports invalid YAML', () => {
    expect(problemsOf('name: invalid: yaml\n')).toEqual([
      'rb.yaml:1: invalid YAML: Nested mappings are not allowed in compact mappings',
    ]);
  });

  it('refuses duplicate keys', () => {
    expect(problemsOf(`{ name: a, target: x, name: b }\n`)).toEqual([
      'rb.yaml:1: invalid YAML: Map keys must be unique',
    ]);
  });

  it('refuses an empty file, a comment-only file, a list and a scalar', () => {
    const notAMapping = ['rb.yaml:1: runbook: must be a YAML mapping with name, match, target and steps'];
    expect(problemsOf('')).toEqual(notAMapping);
    expect(problemsOf('# nothing here\n')).toEqual(notAMapping);
    expect(problemsOf('- name: rb\n- target: x\n')).toEqual(notAMapping);
    expect(problemsOf('restart\n')).toEqual(notAMapping);
  });
});

describe('loadRunbooks', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('loads the example runbooks, the demo ones and the real-fleet ones together', async () => {
    const runbooks = await loadRunbooks([EXAMPLES, FLEET_EXAMPLES]);
    expect(runbooks.map((r) => [r.name, r.file])).toEqual([
      ['drain-erroring-instance', join(EXAMPLES, 'drain-erroring-instance.yaml')],
      ['resize-connection-pool', join(EXAMPLES, 'resize-connection-pool.yaml')],
      ['restart-cpu-burner', join(EXAMPLES, 'restart-cpu-burner.yaml')],
      ['restart-leaking-service', join(EXAMPLES, 'restart-leaking-service.yaml')],
      ['drain-at-load-balancer', join(FLEET_EXAMPLES, 'drain-at-load-balancer.yaml')],
      ['restart-systemd-service', join(FLEET_EXAMPLES, 'restart-systemd-service.yaml')],
    ]);
  });

  it('reports every problem of a directory in one ConfigError', async () => {
    const err = await caught(loadRunbooks([BROKEN]));
    const at = (file: string) => join(BROKEN, file);
    const re2 =
      'use RE2 syntax (no lookarounds or backreferences, see https://github.com/google/re2/wiki/Syntax) and put a backslash before a literal ( ) [ { . * + ? |';
    const known = '(use labels.X, annotations.X, params.X, target, alert.X or runbook.name)';
    expect(err.problems).toEqual([
      `${at('bad-duration.yaml')}:9: step "restart": ssh.timeout: must be a duration like 500ms, 30s, 5m or 1h30m (got "30 s")`,
      `${at('bad-matcher.yaml')}:5: match[1]: matcher "service =~ \\"user-(service\\"": invalid regex "user-(service": missing closing ); ${re2}`,
      `${at('duplicate-name-2.yaml')}:1: runbook "same-name": name already used by ${at('duplicate-name-1.yaml')}`,
      `${at('duplicate-yaml-keys.yaml')}:1: invalid YAML: Map keys must be unique`,
      `${at('empty.yaml')}:1: runbook: must be a YAML mapping with name, match, target and steps`,
      `${at('invalid-yaml.yaml')}:1: invalid YAML: Nested mappings are not allowed in compact mappings`,
      `${at('missing-target.yaml')}:2: runbook "missing-target": missing required key "target"`,
      `${at('not-a-mapping.yaml')}:1: runbook: must be a YAML mapping with name, match, target and steps`,
      `${at('several-problems.yaml')}:5: match[1]: matcher "service ~ \\"user-service\\"": unknown operator "~"; use one of (=, !=, =~, !~)`,
      `${at('several-problems.yaml')}:6: runbook "several-problems": target: template "{{instance}}": unknown name "instance" ${known}`,
      `${at('several-problems.yaml')}:8: param "service": invalid regex "[a-z": missing closing ]; ${re2}`,
      `${at('several-problems.yaml')}:12: step "restart": ssh.command[2]: template "{{params.svc}}": parameter "svc" is not declared under params`,
      `${at('several-problems.yaml')}:13: step "restart": step name used twice`,
      `${at('several-problems.yaml')}:14: step "restart": http.path: template "/admin/{{alert.endsAt}}": "alert.endsAt" is unknown (use alert.status, alert.fingerprint, alert.startsAt, alert.generatorURL)`,
      `${at('undeclared-param.yaml')}:11: step "restart": ssh.command[2]: template "{{params.service}}": parameter "service" is not declared under params`,
      `${at('unknown-key-typo.yaml')}:9: step "restart": ssh: unknown key "tiemout" (did you mean "timeout"?)`,
    ]);
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toBe(err.problems.join('\n'));
  });

  it('refuses one runbook name in two files given one by one', async () => {
    const first = join(BROKEN, 'duplicate-name-1.yaml');
    const second = join(BROKEN, 'duplicate-name-2.yaml');
    const err = await caught(loadRunbooks([second, first]));
    expect(err.problems).toEqual([`${first}:1: runbook "same-name": name already used by ${second}`]);
    expect(
      (await loadRunbooks([first, join(EXAMPLES, 'restart-leaking-service.yaml')])).map((r) => r.name),
    ).toEqual(['same-name', 'restart-leaking-service']);
  });

  it('reads only .yaml and .yml files of a directory, skipping hidden ones', async () => {
    dir = await mkdtemp(join(tmpdir(), 'runbooks-'));
    const valid = (name: string) =>
      `name: ${name}\nmatch: ['alertname = "A"']\ntarget: x\nsteps:\n  - name: s\n    ssh: { command: [x] }\n`;
    await writeFile(join(dir, 'b.yml'), valid('from-yml'));
    await writeFile(join(dir, 'a.yaml'), valid('from-yaml'));
    await writeFile(join(dir, '.hidden.yaml'), 'not: [valid');
    await writeFile(join(dir, 'notes.txt'), 'not: [valid');
    await writeFile(join(dir, 'c.yaml.bak'), 'not: [valid');
    expect((await loadRunbooks([dir])).map((r) => r.name)).toEqual(['from-yaml', 'from-yml']);
  });

  it('says which path does not exist', async () => {
    const missing = join(BROKEN, 'no-such-dir');
    const err = await caught(loadRunbooks([EXAMPLES, missing]));
    expect(err.problems).toEqual([`${missing}: no such file or directory`]);
  });
});

describe('parseRunbook: approval', () => {
  const steps = `steps:\n  - name: s\n    http: { path: /x }\n`;

  it('loads a runbook approval with its defaults, and a step approval', () => {
    const rb = load(
      runbookWith(
        `approval:\n  outside: { days: Mon-Fri, hours: '09:00-18:00', timeZone: Europe/Berlin }\nsteps:\n  - name: s\n    http: { path: /x }\n    approval: { labels: ['role = "primary"'], expiresAfter: 5m, onExpiry: approve }\n`,
      ),
    );
    expect(rb.approval).toMatchObject({
      always: false,
      labels: [],
      expiresAfterMs: 900_000,
      onExpiry: 'deny',
    });
    expect(rb.approval?.outside).toMatchObject({
      fromMinute: 540,
      toMinute: 1080,
      timeZone: 'Europe/Berlin',
    });
    expect(rb.steps[0]!.approval).toMatchObject({ expiresAfterMs: 300_000, onExpiry: 'approve' });
    expect(rb.steps[0]!.approval!.labels.map((m) => m.text)).toEqual(['role="primary"']);
  });

  it('needs at least one condition', () => {
    expect(problemsOf(runbookWith(`approval: { expiresAfter: 5m }\n${steps}`))).toEqual([
      'rb.yaml:4: runbook "rb": approval: needs at least one of always, labels, outside, blastRadiusAbove',
    ]);
  });

  it('names the line of an unknown time zone, a backwards hour range and a bad matcher', () => {
    expect(
      problemsOf(
        runbookWith(
          `approval:\n  outside: { days: Mon-Fri, hours: '09:00-18:00', timeZone: Mars/Olympus }\n${steps}`,
        ),
      ),
    ).toEqual([
      'rb.yaml:5: runbook "rb": approval: outside.timeZone: unknown time zone "Mars/Olympus" (use an IANA name like Europe/Berlin)',
    ]);
    expect(
      problemsOf(
        runbookWith(`approval:\n  outside: { days: Sat, hours: '18:00-09:00', timeZone: UTC }\n${steps}`),
      ),
    ).toEqual([
      'rb.yaml:5: runbook "rb": approval: outside.hours: "18:00-09:00" ends before it starts (write e.g. 09:00-18:00)',
    ]);
    expect(
      problemsOf(
        runbookWith(
          `steps:\n  - name: s\n    http: { path: /x }\n    approval:\n      labels: ['role =~ "("']\n`,
        ),
      )[0],
    ).toMatch(/^rb\.yaml:8: step "s": approval\.labels\[0\]: /);
  });

  it('checks the shape of days, hours and shares', () => {
    expect(
      problemsOf(
        runbookWith(`approval:\n  outside: { days: Monday, hours: '9-18', timeZone: UTC }\n${steps}`),
      ),
    ).toEqual([
      'rb.yaml:5: runbook "rb": approval.outside.days: must be days like Mon-Fri or Sat,Sun (got "Monday")',
      'rb.yaml:5: runbook "rb": approval.outside.hours: must be hours like 09:00-18:00 (got "9-18")',
    ]);
    expect(problemsOf(runbookWith(`approval: { blastRadiusAbove: 2 }\n${steps}`))).toEqual([
      'rb.yaml:4: runbook "rb": approval.blastRadiusAbove: must be <= 1 (got 2)',
    ]);
  });
});
