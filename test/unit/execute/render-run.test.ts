import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { RemediatorError } from '../../../src/errors.ts';
import { renderAction, renderSteps, renderTarget } from '../../../src/execute/render-run.ts';
import { templateContext } from '../../../src/execute/template.ts';
import type { Alert, Runbook } from '../../../src/types.ts';

function runbook(rest: string, target = "'{{labels.instance}}'"): Runbook {
  const result = parseRunbook('rb.yaml', `name: rb\nmatch: ['alertname = "A"']\ntarget: ${target}\n${rest}`);
  expect(result.problems).toEqual([]);
  return result.runbook!;
}

function alert(labels: Record<string, string>, annotations: Record<string, string> = {}): Alert {
  return {
    status: 'firing',
    labels: { alertname: 'A', ...labels },
    annotations,
    startsAt: '2026-11-21T07:18:09.123Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph',
    fingerprint: '0f17f6a7c893adf7',
  };
}

/** The code and message of the RemediatorError `fn` throws. */
function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RemediatorError);
    return { code: (err as RemediatorError).code, message: (err as Error).message };
  }
  throw new Error('expected an error, but nothing was thrown');
}

describe('renderTarget', () => {
  const rb = runbook(`steps:\n  - name: s\n    ssh: { command: ['true'] }\n`, "' {{labels.instance}} '");

  it('renders and trims the target name', () => {
    expect(renderTarget(rb, alert({ instance: 'app-1:8081' }))).toBe('app-1:8081');
  });

  it('refuses a missing label and an empty name', () => {
    expect(errorOf(() => renderTarget(rb, alert({})))).toEqual({
      code: 'E_TEMPLATE',
      message: `template " {{labels.instance}} ": "instance" is not set on this alert`,
    });
    expect(errorOf(() => renderTarget(rb, alert({ instance: ' \t' })))).toEqual({
      code: 'E_TEMPLATE',
      message: 'target rendered to an empty string',
    });
  });
});

describe('renderSteps: parameters', () => {
  const rb = runbook(`params:
  service: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }
  job: { from: 'job-{{labels.job}}', pattern: '(?s).*' }
steps:
  - name: restart
    ssh: { command: [systemctl, restart, '{{params.service}}', '{{params.job}}'] }
`);

  it('checks each parameter against its anchored pattern, before any step is rendered', () => {
    expect(errorOf(() => renderSteps(rb, alert({ service: 'user-service; reboot', job: 'x' }), 't'))).toEqual(
      {
        code: 'E_PARAM',
        message:
          'param "service": value "user-service; reboot" does not match the pattern "[a-z][a-z0-9-]{0,40}"',
      },
    );
    expect(errorOf(() => renderSteps(rb, alert({ service: 'x'.repeat(42), job: 'x' }), 't')).code).toBe(
      'E_PARAM',
    );
    expect(errorOf(() => renderSteps(rb, alert({ service: 'a\nb', job: 'x' }), 't')).code).toBe('E_PARAM');
  });

  it('renders steps with the checked parameters', () => {
    const withAllLabels = runbook(`params:
  service: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }
  job: { from: 'job-{{labels.job}}', pattern: '(?s).*' }
steps:
  - name: restart
    ssh: { command: [systemctl, restart, '{{params.service}}', '{{params.job}}'], timeout: 1m }
`);
    expect(renderSteps(withAllLabels, alert({ service: 'user-service', job: 'a b' }), 'app-1')).toEqual([
      { kind: 'ssh', argv: ['systemctl', 'restart', 'user-service', 'job-a b'], timeoutMs: 60_000 },
    ]);
  });

  it('reports a missing label in a parameter as E_TEMPLATE', () => {
    expect(errorOf(() => renderSteps(rb, alert({ job: 'x' }), 't'))).toEqual({
      code: 'E_TEMPLATE',
      message: 'template "{{labels.service}}": "service" is not set on this alert',
    });
  });
});

describe('renderSteps: ssh', () => {
  it('keeps each argument whole, whatever it holds', () => {
    const rb = runbook(
      `params:\n  v: { from: '{{labels.v}}', pattern: '(?s).*' }\nsteps:\n  - name: s\n    ssh: { command: [echo, '{{params.v}}', 'x{{target}}y'] }\n`,
    );
    expect(renderSteps(rb, alert({ v: 'a b; rm -rf / $(id)' }), 't 1')).toEqual([
      { kind: 'ssh', argv: ['echo', 'a b; rm -rf / $(id)', 'xt 1y'], timeoutMs: 30_000 },
    ]);
  });

  it('refuses, before any step, an argument no login shell quoting can carry, in a step or its undo', () => {
    const rb = runbook(`params:
  v: { from: '{{labels.v}}', pattern: '(?s).*' }
  u: { from: '{{labels.u}}', pattern: '(?s).*' }
steps:
  - name: first
    ssh: { command: [echo, ok] }
  - name: second
    ssh: { command: [echo, 'x{{params.v}}'] }
  - name: third
    ssh: { command: [echo, ok] }
    undo: { ssh: { command: [echo, '{{params.u}}'] } }
`);
    const rule =
      'an ssh command line carries printable ASCII, space and TAB only, because every login shell ' +
      '(sh, bash, zsh, fish, csh, yash...) must read it the same way: strip it from the label or ' +
      'annotation, or give the parameter a pattern that excludes it';
    expect(errorOf(() => renderSteps(rb, alert({ v: 'a\nb', u: 'ok' }), 't'))).toEqual({
      code: 'E_UNSAFE_ARG',
      message: `step "second": argv[1] "xa\\nb" contains a control character, line feed (U+000A) at offset 2; ${rule}`,
    });
    expect(errorOf(() => renderSteps(rb, alert({ v: 'b', u: 'naïve' }), 't'))).toEqual({
      code: 'E_UNSAFE_ARG',
      message: `step "third.undo": argv[1] "naïve" contains a non-ASCII character, U+00EF at offset 2; ${rule}`,
    });
    expect(renderSteps(rb, alert({ v: "\\ ! ' $(id)", u: 'ok' }), 't')[1]).toMatchObject({
      argv: ['echo', "x\\ ! ' $(id)"],
    });
  });

  const feed = runbook(`params:
  server: { from: '{{labels.server}}', pattern: '(?s).*' }
  backend: { from: '{{labels.backend}}', pattern: '(?s).*' }
steps:
  - name: feed
    ssh:
      command: [socat, stdio, 'unix-connect:/run/haproxy/admin.sock']
      stdin: "set server {{params.backend}}/{{params.server}} state drain\\n"
`);

  it('renders stdin, keeping the line break of the template', () => {
    expect(renderSteps(feed, alert({ backend: 'web', server: 'app-1' }), 'lb-1')).toEqual([
      {
        kind: 'ssh',
        argv: ['socat', 'stdio', 'unix-connect:/run/haproxy/admin.sock'],
        stdin: 'set server web/app-1 state drain\n',
        timeoutMs: 30_000,
      },
    ]);
  });

  const stdinRefusal = (what: string, from: string, offset: number) => ({
    code: 'E_UNSAFE_ARG',
    message:
      `step "feed": stdin would get ${what} from ${from} at offset ${offset}; alert data in stdin may ` +
      'not hold control characters, line separators, ";" or "\\", which a line protocol such as ' +
      "HAProxy's runtime API reads as a second command: give the parameter a pattern that excludes them",
  });

  it('refuses line breaks that alert data would bring into stdin, from labels, annotations, params or target', () => {
    expect(
      errorOf(() => renderSteps(feed, alert({ backend: 'web\nshutdown', server: 'a' }), 'lb-1')),
    ).toEqual(stdinRefusal('U+000A', 'params.backend', 3));
    expect(errorOf(() => renderSteps(feed, alert({ backend: 'web', server: 'a\r' }), 'lb-1'))).toEqual(
      stdinRefusal('U+000D', 'params.server', 1),
    );
    const fromTwo = runbook(`params:
  server: { from: 'app-{{labels.n}}{{annotations.suffix}}', pattern: '(?s).*' }
steps:
  - name: feed
    ssh: { command: [socat], stdin: "{{params.server}}" }
`);
    expect(errorOf(() => renderSteps(fromTwo, alert({ n: '1' }, { suffix: '\nx' }), 'lb-1'))).toEqual(
      stdinRefusal('U+000A', 'params.server', 5),
    );
    const annotation = runbook(`params:
  summary: { from: '{{annotations.summary}}', pattern: '(?s).*' }
steps:
  - name: feed
    ssh: { command: [socat], stdin: "note {{params.summary}} {{target}}\\n" }
`);
    expect(
      errorOf(() => renderSteps(annotation, alert({}, { summary: 'hi\nset server evil' }), 'lb-1')),
    ).toEqual(stdinRefusal('U+000A', 'params.summary', 2));
    expect(errorOf(() => renderSteps(annotation, alert({}, { summary: 'hi' }), 'lb;1'))).toEqual(
      stdinRefusal('";" (U+003B)', 'target', 2),
    );
  });

  it.each([
    ['x; disable server web/app-2', '";" (U+003B)', 1],
    ['x\\;y', '"\\" (U+005C)', 1],
    ['a\0b', 'U+0000', 1],
    ['a\tb', 'U+0009', 1],
    ['a\vb', 'U+000B', 1],
    ['a\fb', 'U+000C', 1],
    ['a\x7f', 'U+007F', 1],
    ['a\u0085b', 'U+0085', 1],
    ['a\u009bb', 'U+009B', 1],
    ['a\u2028b', 'U+2028', 1],
    ['a\u2029b', 'U+2029', 1],
  ])('refuses %j in a parameter rendered into stdin, before anything runs', (server, what, offset) => {
    expect(errorOf(() => renderSteps(feed, alert({ backend: 'web', server }), 'lb-1'))).toEqual(
      stdinRefusal(what, 'params.server', offset),
    );
  });

  it("lets stdin through when line breaks are the template's own or in data it does not use", () => {
    const annotation = runbook(`params:
  backend: { from: '{{labels.backend}}', pattern: '(?s).*' }
steps:
  - name: feed
    ssh: { command: [socat], stdin: "a {{params.backend}}\\nb\\n" }
`);
    const [action] = renderSteps(
      annotation,
      alert({ backend: 'web', unused: 'x\ny' }, { description: 'two\nlines' }),
      'lb-1',
    );
    expect(action).toMatchObject({ kind: 'ssh', stdin: 'a web\nb\n' });
  });
});

describe('renderSteps: http', () => {
  const rb = runbook(`params:
  svc: { from: '{{labels.service}}', pattern: '(?s).*' }
  inst: { from: '{{labels.instance}}', pattern: '(?s).*' }
  note: { from: '{{annotations.note}}', pattern: '(?s).*' }
  who: { from: '{{labels.who}}', pattern: '(?s).*' }
steps:
  - name: call
    http:
      method: PUT
      path: '/api/{{params.inst}}/svc/{{params.svc}}/{{target}}/{{params.note}}'
      headers: { X-Who: '{{params.who}}', Content-Type: text/plain }
      body:
        n: 5
        f: 1.5
        yes: true
        no: false
        none: null
        s: '{{params.inst}}'
        list: [1, '{{params.svc}}', false]
        nested: { t: '{{target}}', empty: {} }
      expect: [200, 204]
      timeout: 2s
`);

  it('percent-encodes values in the path, so a label stays one segment', () => {
    const [action] = renderSteps(
      rb,
      alert({ instance: '../admin?x=1', service: 'a/b#c', who: 'me' }, { note: '%2e%2e' }),
      'app 1',
    );
    expect(action).toMatchObject({
      kind: 'http',
      path: '/api/..%2Fadmin%3Fx%3D1/svc/a%2Fb%23c/app%201/%252e%252e',
    });
  });

  it('renders the body as JSON: strings are templates, other values are kept', () => {
    const [action] = renderSteps(
      rb,
      alert({ instance: '../admin?x=1', service: 'a/b', who: 'me' }, { note: 'n' }),
      't',
    );
    expect(action).toEqual({
      kind: 'http',
      method: 'PUT',
      path: '/api/..%2Fadmin%3Fx%3D1/svc/a%2Fb/t/n',
      headers: { 'x-who': 'me', 'content-type': 'text/plain' },
      body: {
        n: 5,
        f: 1.5,
        yes: true,
        no: false,
        none: null,
        s: '../admin?x=1',
        list: [1, 'a/b', false],
        nested: { t: 't', empty: {} },
      },
      expect: [200, 204],
      timeoutMs: 2000,
    });
  });

  it('refuses a header value with a line break or NUL', () => {
    const ok = { instance: 'i', service: 's' };
    expect(
      errorOf(() => renderSteps(rb, alert({ ...ok, who: 'me\r\nX-Admin: 1' }, { note: 'n' }), 't')),
    ).toEqual({
      code: 'E_UNSAFE_ARG',
      message: 'step "call": header x-who would contain a line break',
    });
    expect(errorOf(() => renderSteps(rb, alert({ ...ok, who: 'me\n' }, { note: 'n' }), 't')).code).toBe(
      'E_UNSAFE_ARG',
    );
    expect(errorOf(() => renderSteps(rb, alert({ ...ok, who: 'me\0' }, { note: 'n' }), 't')).code).toBe(
      'E_UNSAFE_ARG',
    );
  });

  it('leaves a step without a body without one', () => {
    const get = runbook(
      `params:\n  i: { from: '{{labels.instance}}', pattern: '(?s).*' }\nsteps:\n  - name: g\n    http: { method: GET, path: '/h/{{params.i}}' }\n`,
    );
    const step = get.steps[0]!;
    const ctx = templateContext(alert({ instance: 'a b' }), get.name, 't', { i: 'a b' });
    expect(renderAction(step, ctx)).toEqual({
      kind: 'http',
      method: 'GET',
      path: '/h/a%20b',
      headers: {},
      expect: [],
      timeoutMs: 10_000,
    });
  });
});

describe('renderSteps: http paths', () => {
  const rb = runbook(`params:
  x: { from: '{{labels.x}}', pattern: '(?s).*' }
steps:
  - name: call
    http: { path: '/admin/{{params.x}}/pool' }
`);
  it.each(['..', '.'])('refuses a label that makes a dot segment (%s)', (x) => {
    expect(errorOf(() => renderSteps(rb, alert({ instance: 'i', x }), 'i'))).toEqual({
      code: 'E_UNSAFE_ARG',
      message: `step "call": path ${JSON.stringify(`/admin/${encodeURIComponent(x)}/pool`)} holds a "." or ".." segment`,
    });
  });
  it('keeps other dots, and encoded dots, inside one segment', () => {
    const [action] = renderSteps(rb, alert({ instance: 'i', x: '...a/b' }), 'i');
    expect(action).toMatchObject({ path: '/admin/...a%2Fb/pool' });
    const [encoded] = renderSteps(rb, alert({ instance: 'i', x: '%2e%2e' }), 'i');
    expect(encoded).toMatchObject({ path: '/admin/%252e%252e/pool' });
  });
});
