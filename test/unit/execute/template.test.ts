import { describe, expect, it } from 'vitest';
import { RemediatorError } from '../../../src/errors.ts';
import { compileTemplate, templateContext } from '../../../src/execute/template.ts';
import type { Alert, TemplateContext } from '../../../src/types.ts';

const scope = { params: new Set(['service']) };

function alert(labels: Record<string, string>, annotations: Record<string, string> = {}): Alert {
  return {
    status: 'firing',
    labels,
    annotations,
    startsAt: '2026-11-21T07:18:09.123Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph',
    fingerprint: '0f17f6a7c893adf7',
  };
}

const context = (labels: Record<string, string>, annotations: Record<string, string> = {}): TemplateContext =>
  templateContext(alert(labels, annotations), 'restart-app', 'app-1:8081', { service: 'user-service' });

const render = (source: string, ctx: TemplateContext = context({ instance: 'app-1:8081' })): string =>
  compileTemplate(source, scope)(ctx);

/** The E_TEMPLATE message `fn` throws, failing the test if it throws anything else or nothing. */
function templateError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RemediatorError);
    expect((err as RemediatorError).code).toBe('E_TEMPLATE');
    return (err as Error).message;
  }
  throw new Error('expected an E_TEMPLATE error, but nothing was thrown');
}

describe('templateContext', () => {
  it('exposes labels, annotations, params, target, four alert fields and the runbook name', () => {
    const a = alert({ instance: 'app-1:8081' }, { summary: 'high' });
    expect(templateContext(a, 'restart-app', 'app-1:8081', { service: 'x' })).toEqual({
      labels: { instance: 'app-1:8081' },
      annotations: { summary: 'high' },
      params: { service: 'x' },
      target: 'app-1:8081',
      alert: {
        status: 'firing',
        fingerprint: '0f17f6a7c893adf7',
        startsAt: '2026-11-21T07:18:09.123Z',
        generatorURL: 'http://prometheus.example:9090/graph',
      },
      runbook: { name: 'restart-app' },
    });
    expect(templateContext(a, 'rb', 't').params).toEqual({});
  });
});

describe('compileTemplate: rendering', () => {
  it('renders every root', () => {
    const ctx = context({ instance: 'app-1:8081' }, { summary: 'high memory' });
    expect(
      render(
        '{{labels.instance}} {{annotations.summary}} {{params.service}} {{target}} {{alert.status}} {{alert.fingerprint}} {{alert.startsAt}} {{alert.generatorURL}} {{runbook.name}}',
        ctx,
      ),
    ).toBe(
      'app-1:8081 high memory user-service app-1:8081 firing 0f17f6a7c893adf7 2026-11-21T07:18:09.123Z http://prometheus.example:9090/graph restart-app',
    );
  });

  it('is strict: a missing label is an E_TEMPLATE error saying which', () => {
    expect(templateError(() => render('restart {{labels.service}}'))).toBe(
      'template "restart {{labels.service}}": "service" is not set on this alert',
    );
    expect(templateError(() => render('{{annotations.runbook_url}}'))).toBe(
      'template "{{annotations.runbook_url}}": "runbook_url" is not set on this alert',
    );
  });

  it('lets #if and #unless test labels that are absent', () => {
    const t = compileTemplate('{{#if labels.service}}svc={{labels.service}}{{else}}none{{/if}}', scope);
    expect(t(context({}))).toBe('none');
    expect(t(context({ service: 'api' }))).toBe('svc=api');
    const u = compileTemplate('{{#unless labels.canary}}prod{{/unless}}', scope);
    expect(u(context({}))).toBe('prod');
    expect(u(context({ canary: 'yes' }))).toBe('');
  });

  it('does not HTML-escape', () => {
    const value = `<b>&amp; "q" 'a' \`x\` =`;
    expect(render('{{labels.v}}', context({ v: value }))).toBe(value);
    expect(render('{{{labels.v}}}', context({ v: value }))).toBe(value);
  });

  it('never compiles alert data: template syntax in a label comes out as it is', () => {
    const ctx = context(
      { instance: '{{runbook.name}}', other: '{{#each labels}}{{@key}}{{/each}}', p: '{{> evil}}' },
      { summary: '{{lookup labels "instance"}}' },
    );
    expect(render('{{labels.instance}}|{{labels.other}}|{{labels.p}}', ctx)).toBe(
      '{{runbook.name}}|{{#each labels}}{{@key}}{{/each}}|{{> evil}}',
    );
    expect(render('{{annotations.summary}}', ctx)).toBe('{{lookup labels "instance"}}');
  });

  it('gives nothing dangerous for prototype names', () => {
    const ctx = context({ instance: 'x' });
    for (const source of [
      '{{labels.constructor}}',
      '{{labels.__proto__}}',
      '{{annotations.constructor}}',
      '{{params.__proto__}}',
    ]) {
      let out: string;
      try {
        out = compileTemplate(source, { params: new Set(['__proto__']) })(ctx);
      } catch (err) {
        // Refusing is as good as rendering nothing.
        expect((err as RemediatorError).code).toBe('E_TEMPLATE');
        continue;
      }
      expect(out, source).toBe('');
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('compileTemplate: refused at compile time', () => {
  const compileError = (source: string, s = scope) => templateError(() => compileTemplate(source, s));
  const known = '(use labels.X, annotations.X, params.X, target, alert.X or runbook.name)';

  it('refuses syntax errors', () => {
    expect(compileError('{{labels.instance')).toMatch(/^template "\{\{labels\.instance": Parse error/);
    expect(compileError('{{#if labels.a}}x')).toMatch(/^template "\{\{#if labels\.a\}\}x": /);
  });

  it('refuses unknown names and helpers without arguments', () => {
    expect(compileError('{{foo}}')).toBe(`template "{{foo}}": unknown name "foo" ${known}`);
    expect(compileError('{{instance}}')).toBe(`template "{{instance}}": unknown name "instance" ${known}`);
    expect(compileError('{{this}}')).toBe(`template "{{this}}": unknown name "this" ${known}`);
    expect(compileError('{{helperMissing}}')).toBe(
      `template "{{helperMissing}}": unknown name "helperMissing" ${known}`,
    );
  });

  it('refuses parameters that are not declared', () => {
    expect(compileError('{{params.svc}}')).toBe(
      'template "{{params.svc}}": parameter "svc" is not declared under params',
    );
    expect(compileError('{{params.service}}', { params: new Set() })).toBe(
      'template "{{params.service}}": parameter "service" is not declared under params',
    );
  });

  it('refuses unknown alert fields, fields of target and paths that go too deep', () => {
    expect(compileError('{{alert.endsAt}}')).toBe(
      'template "{{alert.endsAt}}": "alert.endsAt" is unknown (use alert.status, alert.fingerprint, alert.startsAt, alert.generatorURL)',
    );
    expect(compileError('{{target.host}}')).toBe(
      'template "{{target.host}}": "target" is a string and has no fields',
    );
    expect(compileError('{{labels.a.b}}')).toBe(
      'template "{{labels.a.b}}": "labels.a.b" goes too deep: label values are strings',
    );
  });

  it('checks the names inside block helpers and their arguments', () => {
    expect(compileError('{{#if labels.a}}{{nope}}{{/if}}')).toBe(
      `template "{{#if labels.a}}{{nope}}{{/if}}": unknown name "nope" ${known}`,
    );
    expect(compileError('{{#if labels.a}}{{labels}}{{/if}}')).toBe(
      'template "{{#if labels.a}}{{labels}}{{/if}}": "labels" is a map: name one of its fields, e.g. labels.X',
    );
  });

  it('refuses every helper but #if and #unless, with or without arguments', () => {
    const refused = (source: string, helper: string) =>
      expect(compileError(source)).toBe(
        `template ${JSON.stringify(source)}: helper "${helper}" is not available (use #if or #unless)`,
      );
    refused('{{#if (lookup labels "a")}}x{{/if}}', 'lookup');
    refused('{{lookup labels "instance"}}', 'lookup');
    refused('{{#with labels}}{{instance}}{{/with}}', 'with');
    refused('{{#each labels}}{{this}}{{/each}}', 'each');
    refused('{{log labels.instance}}', 'log');
    refused('{{foo labels.instance}}', 'foo');
    refused('{{foo a=labels.instance}}', 'foo');
    refused('{{#labels.a}}x{{/labels.a}}', 'labels.a');
  });

  it('refuses whole maps, parent paths, unknown runbook fields and built-in property names', () => {
    expect(compileError('{{labels}}')).toBe(
      'template "{{labels}}": "labels" is a map: name one of its fields, e.g. labels.X',
    );
    expect(compileError('{{alert}}')).toBe(
      'template "{{alert}}": "alert" is a map: name one of its fields, e.g. alert.X',
    );
    expect(compileError('{{../labels.a}}')).toBe(
      'template "{{../labels.a}}": "../labels.a": use labels.X, params.X, ... directly',
    );
    expect(compileError('{{runbook.file}}')).toBe('template "{{runbook.file}}": use "runbook.name"');
    expect(compileError('{{labels.toString}}')).toBe(
      'template "{{labels.toString}}": "labels.toString" names a built-in property, not a label',
    );
  });

  it('names the parse error and what the parser expected', () => {
    expect(compileError('{{labels.instance')).toBe(
      `template "{{labels.instance": Parse error on line 1: Expecting 'ID', got 'INVALID'`,
    );
  });

  it('refuses data variables', () => {
    expect(compileError('{{@root.labels.instance}}')).toBe(
      'template "{{@root.labels.instance}}": "@root.labels.instance" is not available here',
    );
    expect(compileError('{{@key}}')).toBe('template "{{@key}}": "@key" is not available here');
  });

  it('refuses partials and decorators', () => {
    for (const source of ['{{> partial}}', '{{#> layout}}x{{/layout}}', '{{#*inline "p"}}x{{/inline}}']) {
      expect(compileError(source)).toBe(
        `template ${JSON.stringify(source)}: partials and decorators are not supported in runbook templates`,
      );
    }
  });
});
