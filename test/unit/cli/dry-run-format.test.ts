import { describe, expect, it } from 'vitest';
import { formatDryRun } from '../../../src/cli/dry-run.ts';

describe('remediator test output', () => {
  it('prints no control or invisible character from the alert to the terminal', () => {
    const text = formatDryRun({
      truncatedAlerts: 0,
      alerts: [
        {
          alert: {
            status: 'firing',
            labels: { alertname: 'A', 'x\u001b[2J': 'v\u009b2K\u202e' },
            annotations: {},
            startsAt: '2026-01-01T00:00:00Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: 'abc',
          },
          matches: [
            {
              runbook: 'rb',
              file: 'rb.yaml',
              runId: 'r1',
              target: 'web-1\u001b]0;t\u0007\nforged line',
              error: { code: 'E_UNKNOWN_TARGET', message: 'target "web-1\u001b[1m" is not in the inventory' },
            },
          ],
        },
      ],
    });
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('alert {alertname="A", x\\u001b[2J="v\\u009b2K\\u202e"} firing');
    expect(text).toContain('    target web-1\\u001b]0;t\\u0007\\u000aforged line\n');
    expect(text).toContain('would fail: E_UNKNOWN_TARGET: target "web-1\\u001b[1m" is not in the inventory');
  });
});
