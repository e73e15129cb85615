import { describe, expect, it } from 'vitest';
import { approvalSlackBody, type ApprovalMessage } from '../../../src/record/approval-notify.ts';

function message(steps: ApprovalMessage['steps']): ApprovalMessage {
  return {
    runId: 'r1',
    requestId: 'q1',
    runbook: 'scale',
    target: 'web',
    alert: { labels: { alertname: 'A' }, annotations: {}, startsAt: '2026-01-01T00:00:00Z' },
    why: ['always'],
    scope: 'run',
    step: 'one',
    steps,
    requestedAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-01-01T01:00:00Z',
    onExpiry: 'deny',
    approveUrl: 'http://r/a',
    denyUrl: 'http://r/d',
    apiUrl: 'http://r/api',
  };
}

const stepsText = (m: ApprovalMessage) =>
  (approvalSlackBody(m).blocks[2] as { text: { text: string } }).text.text;

describe('the Slack approval message', () => {
  // A param that admits a long value pushes what the runbook writes after it out of sight.
  it('says when a command is cut, instead of showing a prefix as if it were all', () => {
    const action = `exec ["/usr/bin/kubectl","scale","deployment/${'a'.repeat(320)}","--replicas=0"]`;
    const text = stepsText(message([{ name: 'scale', status: 'pending', action, awaiting: true }]));
    expect(text).not.toContain('--replicas=0');
    expect(text).toMatch(/…` \(cut: 299 of 382 characters shown; open the run for the whole command\)$/);
  });

  it('says how many awaiting steps did not fit, instead of dropping them silently', () => {
    const steps = Array.from({ length: 20 }, (_, i) => ({
      name: `s${i}`,
      status: 'pending',
      action: `exec ["/bin/true","${'x'.repeat(250)}"]`,
      awaiting: true,
    }));
    const text = stepsText(message(steps));
    expect(text.length).toBeLessThanOrEqual(3000);
    const shown = text.split('\n').filter((l) => l.startsWith('• ')).length;
    expect(shown).toBeGreaterThan(5);
    expect(text.split('\n').at(-1)).toBe(`_…and ${20 - shown} more step(s): open the run to see them_`);
  });
});
