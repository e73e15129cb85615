import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { RemediatorError } from '../../../src/errors.ts';
import { runContext } from '../../../src/execute/render-run.ts';
import { renderVerify } from '../../../src/execute/render-verify.ts';
import type { Alert, Runbook } from '../../../src/types.ts';

/** A runbook whose one step verifies with `verify`; param `v` takes the `v` label, whatever it is. */
function runbook(verify: string): Runbook {
  const text = `name: rb\nmatch: ['alertname = "A"']\ntarget: app\nparams:\n  v: { from: '{{labels.v}}', pattern: '(?s).*' }\nsteps:\n  - name: s\n    http: { path: /x }\n    verify: ${verify}\n`;
  const result = parseRunbook('rb.yaml', text);
  expect(result.problems).toEqual([]);
  return result.runbook!;
}

const alert = (v: string): Alert => ({
  status: 'firing',
  labels: { alertname: 'A', v },
  annotations: {},
  startsAt: '2026-11-21T07:18:09.123Z',
  endsAt: '',
  generatorURL: '',
  fingerprint: '0f17f6a7c893adf7',
});

const render = (rb: Runbook, v: string) =>
  renderVerify(rb.steps[0]!.verify!, runContext(rb, alert(v), 'app'), 's');

const HOSTILE = [
  '; rm -rf /',
  '$(id)',
  '`id`',
  'a\nb',
  `'"`,
  '../',
  '%2e%2e/',
  '../admin/delete?confirm=yes',
];

describe('renderVerify: http probe paths', () => {
  const rb = runbook(`{ http: { path: '/status/{{params.v}}' } }`);

  it.each(HOSTILE)('keeps %j inside one percent-encoded segment', (v) => {
    expect(render(rb, v)).toMatchObject({ kind: 'http', path: `/status/${encodeURIComponent(v)}` });
  });

  it.each(['..', '.'])('refuses %j, a dot segment', (v) => {
    let err: unknown;
    try {
      render(rb, v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RemediatorError);
    expect((err as RemediatorError).code).toBe('E_UNSAFE_ARG');
    expect((err as Error).message).toBe(`step "s": verify: path "/status/${v}" holds a "." or ".." segment`);
  });
});

describe('renderVerify: PromQL', () => {
  const rb = runbook(`{ promql: 'up{s="{{params.v}}", t="{{target}}"}', expect: empty }`);

  it.each([
    ['x"} or vector(1) or up{service="y', 'x\\x22} or vector(1) or up{service=\\x22y'],
    ['a\nb', 'a\\nb'],
    ['`id` $(id) ; rm -rf /', '\\x60id\\x60 $(id) ; rm -rf /'],
    ["'\\", '\\x27\\\\'],
  ])('escapes %j as a string literal', (v, escaped) => {
    expect(render(rb, v)).toEqual({
      kind: 'promql',
      query: `up{s="${escaped}", t="app"}`,
      expect: 'empty',
      withinMs: 60_000,
    });
  });
});
