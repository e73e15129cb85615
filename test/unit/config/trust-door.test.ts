import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { RemediatorError } from '../../../src/errors.ts';
import { renderSteps } from '../../../src/execute/render-run.ts';
import type { Alert, Runbook } from '../../../src/types.ts';

/**
 * STYLE rule 13 at load: alert data reaches what runs (argv, stdin, HTTP path, headers and body,
 * verify probes and queries, undo) only through a declared param with a pattern. The attacker here is
 * whoever can post an alert; the runbook author is trusted but must not be able to open a side door
 * by accident.
 */
const HEAD = `name: rb\nmatch: ['alertname = "A"']\ntarget: '{{labels.instance}}'\n`;
const problemsOf = (rest: string) => parseRunbook('rb.yaml', HEAD + rest).problems;
const why = (name: string) =>
  `"${name}" is alert data and cannot reach a command, request or check directly; declare a param ` +
  `with a pattern (params: { NAME: { from: '{{${name}}}', pattern: ... } }) and use {{params.NAME}}`;

function load(rest: string): Runbook {
  const result = parseRunbook('rb.yaml', HEAD + rest);
  expect(result.problems).toEqual([]);
  return result.runbook!;
}

describe('load: alert data outside params is refused wherever it would reach an action', () => {
  it.each([
    ['an ssh argument', `    ssh: { command: [rm, '{{labels.x}}'] }\n`, 'ssh.command[1]', '{{labels.x}}'],
    ['stdin', `    ssh: { command: [cat], stdin: "{{labels.x}}" }\n`, 'ssh.stdin', '{{labels.x}}'],
    ['an http path', `    http: { path: '/a/{{labels.x}}' }\n`, 'http.path', '/a/{{labels.x}}'],
    [
      'a header',
      `    http: { path: /a, headers: { X-A: '{{annotations.x}}' } }\n`,
      'http.headers.X-A',
      '{{annotations.x}}',
    ],
    [
      'a JSON body',
      `    http: { path: /a, body: { why: 'r {{labels.x}}' } }\n`,
      'http.body.why',
      'r {{labels.x}}',
    ],
    [
      'a body list',
      `    http: { path: /a, body: { l: [1, '{{alert.generatorURL}}'] } }\n`,
      'http.body.l[1]',
      '{{alert.generatorURL}}',
    ],
    [
      'an argument, through #if',
      `    ssh: { command: [rm, '{{#if labels.f}}-rf{{/if}}'] }\n`,
      'ssh.command[1]',
      '{{#if labels.f}}-rf{{/if}}',
    ],
    [
      'an argument, as alert.startsAt',
      `    ssh: { command: [date, '{{alert.startsAt}}'] }\n`,
      'ssh.command[1]',
      '{{alert.startsAt}}',
    ],
  ])('in %s', (_what, step, field, template) => {
    const name = /(labels|annotations|alert)\.[A-Za-z]+/.exec(template)![0];
    expect(problemsOf(`steps:\n  - name: s\n${step}`)).toEqual([
      `rb.yaml:6: step "s": ${field}: template ${JSON.stringify(template)}: ${why(name)}`,
    ]);
  });

  it('in verify probes and queries, and in undo', () => {
    const text = `steps:
  - name: s
    http: { path: /a }
    verify: { http: { path: '/status/{{labels.page}}' } }
  - name: u
    http: { path: /a }
    undo: { http: { path: /b, body: { n: '{{labels.n}}' } } }
  - name: t
    http: { path: /a }
    verify: { promql: 'up{service="{{labels.service}}"} == bool 1', expect: 'true' }
`;
    expect(problemsOf(text)).toEqual([
      `rb.yaml:7: step "s": verify.http.path: template "/status/{{labels.page}}": ${why('labels.page')}`,
      `rb.yaml:10: step "u": undo.http.body.n: template "{{labels.n}}": ${why('labels.n')}`,
      `rb.yaml:13: step "t": verify.promql: template "up{service=\\"{{labels.service}}\\"} == bool 1": ${why('labels.service')}`,
    ]);
  });

  it('demands a pattern of every param', () => {
    const text = `params:\n  p: { from: '{{labels.x}}' }\nsteps:\n  - name: s\n    ssh: { command: [rm, '{{params.p}}'] }\n`;
    expect(problemsOf(text)).toEqual(['rb.yaml:5: param "p": missing required key "pattern"']);
  });

  it('checks allowLeadingDash is a boolean', () => {
    const text = `params:\n  p: { from: '{{labels.x}}', pattern: x, allowLeadingDash: 'yes' }\nsteps:\n  - name: s\n    ssh: { command: [rm, '{{params.p}}'] }\n`;
    expect(problemsOf(text)).toEqual(['rb.yaml:5: param "p": allowLeadingDash: must be boolean (got "yes")']);
  });

  it('refuses a PromQL value standing outside a string literal, where escaping cannot hold it', () => {
    const text = `params:\n  n: { from: '{{labels.n}}', pattern: '[0-9]+' }\nsteps:\n  - name: s\n    http: { path: /a }\n    verify: { promql: "up > {{params.n}} or up{a=\`{{target}}\`}", expect: empty }\n`;
    expect(problemsOf(text)).toEqual([
      'rb.yaml:9: step "s": verify.promql: template "up > {{params.n}} or up{a=`{{target}}`}": ' +
        '{{params.n}}, {{target}} stands outside a "..." or \'...\' string, where no escaping can hold a value ' +
        'in place; write it inside one, e.g. up{service="{{params.service}}"}',
    ]);
  });

  it('lets params, target, runbook.name, alert.status and alert.fingerprint through; target and group may use labels', () => {
    const rb = load(`params:
  svc: { from: '{{labels.service}}-{{annotations.x}}', pattern: '[a-z-]+' }
policy: { group: '{{labels.cluster}}' }
steps:
  - name: s
    ssh: { command: [x, '{{params.svc}}', '{{target}}', '{{runbook.name}}', '{{alert.status}}', '{{alert.fingerprint}}'] }
    verify: { promql: "up{s='{{params.svc}}', t=\\"{{target}}\\"} # {{#if params.svc}}{{/if}}", expect: empty }
`);
    expect(rb.steps).toHaveLength(1);
  });
});

describe('run: a param value starting with "-" is refused unless the param allows it', () => {
  const alert = (x: string): Alert => ({
    status: 'firing',
    labels: { alertname: 'A', instance: 'i', x },
    annotations: {},
    startsAt: '2026-11-21T07:18:09.123Z',
    endsAt: '',
    generatorURL: '',
    fingerprint: '0f17f6a7c893adf7',
  });
  const errorOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(RemediatorError);
      return { code: (err as RemediatorError).code, message: (err as Error).message };
    }
    throw new Error('nothing thrown');
  };
  const rb = (extra: string) =>
    load(
      `params:\n  f: { from: '{{labels.x}}', pattern: '[A-Za-z0-9=/_.-]{1,100}'${extra} }\nsteps:\n  - name: s\n    ssh: { command: [sort, '{{params.f}}'] }\n`,
    );

  it.each(['--output=/tmp/x', '-rf', '--help', '-o/some/file', '-'])(
    'refuses %j, which its pattern allows',
    (x) => {
      expect(errorOf(() => renderSteps(rb(''), alert(x), 'i'))).toEqual({
        code: 'E_PARAM',
        message:
          `param "f": value ${JSON.stringify(x)} starts with "-" and could be read as an option; ` +
          'set allowLeadingDash: true on the param if the command takes it after "--"',
      });
    },
  );

  it('passes it with allowLeadingDash: true, and other values in any case', () => {
    expect(renderSteps(rb(', allowLeadingDash: true'), alert('-rf'), 'i')[0]).toMatchObject({
      argv: ['sort', '-rf'],
    });
    expect(renderSteps(rb(''), alert('a-b/--c'), 'i')[0]).toMatchObject({ argv: ['sort', 'a-b/--c'] });
  });
});
