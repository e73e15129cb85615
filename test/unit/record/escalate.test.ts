import { describe, expect, it } from 'vitest';
import { RemediatorError } from '../../../src/errors.ts';
import {
  jsonBody,
  parseEscalationTargets,
  redact,
  slackBody,
  slackEscape,
  type Escalation,
} from '../../../src/record/escalate.ts';

const escalation: Escalation = {
  runId: 'r-1',
  runbook: 'disk-full',
  target: 'db-1',
  status: 'failed',
  reason: 'E_EXIT',
  message: 'step "clean" exited 1',
  alert: {
    labels: { alertname: 'DiskFull <prod> & co', instance: 'db-1:9100' },
    annotations: { summary: 'disk at 97%' },
    startsAt: '2024-05-01T10:00:00Z',
    fingerprint: 'a1b2c3d4e5f60718',
  },
  steps: [
    { name: 'clean', status: 'failed', errorCode: 'E_EXIT', error: 'rm: <cannot> remove & stop' },
    { name: 'restart', status: 'succeeded', verify: 'GET /healthz answered 503, expected 200' },
  ],
  decisions: [{ stage: 'cooldown', decision: 'pass' }],
  runUrl: 'https://remediator.example/runs/r-1?a=1&b=2',
};

describe('parseEscalationTargets', () => {
  it('reads JSON and slack+ targets, skipping blanks', () => {
    expect(
      parseEscalationTargets(
        ' https://a.example/hook, slack+https://hooks.slack.com/services/X ,, http://b:8080/x ',
      ),
    ).toEqual([
      { url: 'https://a.example/hook', format: 'json' },
      { url: 'https://hooks.slack.com/services/X', format: 'slack' },
      { url: 'http://b:8080/x', format: 'json' },
    ]);
    expect(parseEscalationTargets('')).toEqual([]);
  });

  it.each([
    [
      'https://a.example/x, ftp://files.example/secret',
      'escalation target 2 (ftp://files.example) is not an http(s) URL: ' +
        'write https://host/path, or slack+https://hooks.slack.com/services/... for Slack',
    ],
    [
      'hooks.slack.com/services/T0/B0/secret',
      'escalation target 1 (hooks.slack.com/…) is not an http(s) URL: ' +
        'write https://host/path, or slack+https://hooks.slack.com/services/... for Slack',
    ],
    [
      'slack+mailto:ops@example.com',
      'escalation target 1 (slack+mailto:ops@example.com) is not an http(s) URL: ' +
        'write https://host/path, or slack+https://hooks.slack.com/services/... for Slack',
    ],
  ])('rejects %s with E_CONFIG naming the entry without its path', (text, message) => {
    let error: unknown;
    try {
      parseEscalationTargets(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RemediatorError);
    expect(error).toMatchObject({ code: 'E_CONFIG', message });
  });
});

describe('redact', () => {
  it('keeps scheme://host[:port] only', () => {
    expect(redact('https://hooks.slack.com/services/T0/B0/secret')).toBe('https://hooks.slack.com');
    expect(redact('http://user:pw@127.0.0.1:8080/x?token=1')).toBe('http://127.0.0.1:8080');
  });
});

describe('jsonBody', () => {
  it('wraps the escalation with a version and kind', () => {
    expect(jsonBody(escalation)).toEqual({ version: '1', kind: 'remediator.escalation', ...escalation });
  });
});

describe('slackBody', () => {
  it('builds Block Kit with a header, summary, step lines and the run link, escaping user data', () => {
    expect(slackBody(escalation)).toEqual({
      text: 'Remediation gave up: DiskFull &lt;prod&gt; &amp; co on db-1',
      blocks: [
        {
          type: 'header',
          text: { type: 'plain_text', text: 'Remediation gave up: DiskFull <prod> & co on db-1' },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*Alert:* DiskFull &lt;prod&gt; &amp; co\n*Target:* db-1\n*Runbook:* disk-full\n' +
              '*Status:* failed (E_EXIT)\nstep "clean" exited 1',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '• *clean*: failed (E_EXIT) rm: &lt;cannot&gt; remove &amp; stop\n' +
              '• *restart*: succeeded; verify: GET /healthz answered 503, expected 200',
          },
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '<https://remediator.example/runs/r-1?a=1&amp;b=2|Open the run>' },
        },
      ],
    });
  });

  it('leaves out the link without runUrl and stays within Slack limits', () => {
    const steps = Array.from({ length: 60 }, (_, i) => ({
      name: `s${i}`,
      status: 'failed',
      error: 'x'.repeat(400),
    }));
    const { runUrl: _, ...rest } = escalation;
    const body = slackBody({ ...rest, steps, alert: { ...escalation.alert, labels: {} } });
    expect(body.blocks).toHaveLength(3);
    expect(body.text).toBe('Remediation gave up: (no alertname) on db-1');
    const stepText = (body.blocks[2] as { text: { text: string } }).text.text;
    expect(stepText.length).toBeLessThanOrEqual(3000);
    expect(stepText).toMatch(/\n… and \d+ more steps$/);
    expect(stepText.split('\n')[0]).toBe(`• *s0*: failed ${'x'.repeat(299)}…`);
  });

  it('says so when no step was tried', () => {
    const body = slackBody({ ...escalation, steps: [] });
    expect(body.blocks[2]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '_No step was tried._' },
    });
  });

  it('escapes only &, < and >', () => {
    expect(slackEscape('<@U123> & <!channel> *bold*')).toBe('&lt;@U123&gt; &amp; &lt;!channel&gt; *bold*');
  });
});
