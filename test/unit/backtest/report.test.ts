import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/backtest/report-html.ts';
import { buildReport, formatReport } from '../../../src/backtest/report.ts';
import { emptyTally, mark, newTimeline, sumTallies } from '../../../src/backtest/tally.ts';

const FROM = Date.parse('2026-11-01T00:00:00Z');
const TO = Date.parse('2026-11-02T00:00:00Z');

/** A result as the replay would give it, with a refusal reason the report has never heard of. */
function sample() {
  const t = emptyTally('restart-web');
  Object.assign(t, { matched: 10, started: 2, succeeded: 1, failed: 1, peakActing: 2, pagesSent: 9 });
  t.stopped = { storm: 7, cooldown: 1 };
  t.targets = { '<img src=x onerror=alert(1)>': 2 };
  const timeline = newTimeline(FROM, TO);
  mark(timeline, 'restart-web', 'started', FROM + 3_600_000);
  mark(timeline, 'restart-web', 'stopped:storm', FROM + 3_600_000);
  const result = { occurrences: 10, runbooks: [t], totals: sumTallies([t], 2), timeline };
  return buildReport(result, { prometheus: 'http://prom:9090', from: FROM, to: TO, outcome: 'history' });
}

describe('backtest report', () => {
  it('shows any reason the gate gives, a new one included, in the text and the picture', () => {
    const report = sample();
    const text = formatReport(report);
    expect(text).toContain('  stopped by reason: storm 7, cooldown 1');
    expect(text).toMatch(/^restart-web +10 +2 +1 +1 +8 +2 +0 +0 +9 +0 +0$/m);
    const html = renderHtml(report);
    expect(html).toContain('stopped: storm</span>');
    expect(html).toContain('<title>stopped:storm: 1 at 2026-11-01T01:00:00.000Z</title>');
  });

  it('escapes what came from alerts (a target name) in the HTML', () => {
    const html = renderHtml(sample());
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62; 2');
  });

  it('never prints control characters from alert labels to the terminal', () => {
    const report = sample();
    report.runbooks[0]!.targets = { 'web-1\n  stopped by reason: none\u001b[2J': 1 };
    const text = formatReport(report);
    expect(text).toContain('targets touched most: web-1\\u000a  stopped by reason: none\\u001b[2J 1');
    expect(text).not.toContain('\u001b');
  });

  it('shows a right-to-left override or a zero-width space in a target name escaped', () => {
    const report = sample();
    report.runbooks[0]!.targets = { 'web-1\u202e\u200bgnp.exe': 1 };
    expect(formatReport(report)).toContain('targets touched most: web-1\\u202e\\u200bgnp.exe 1');
  });

  it('says when no run started', () => {
    const report = { ...sample(), busiestHour: undefined };
    expect(formatReport(report)).toContain('busiest hour: no run started');
  });
});
