import type { BacktestReport } from './report.ts';
import { formatReport } from './report.ts';
import type { Timeline } from './tally.ts';

const WIDTH = 1000;
const LABEL = 210;
const ROW = 48;
const AXIS = 30;
// Colours for refusal reasons, given out in the order the reasons sort: any reason the gate gives
// (a new one included) gets a colour without a change here.
const PALETTE = [
  '#d62728',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#000000',
];
const STARTED = '#2ca02c';
const HELD = '#1f77b4';

/**
 * A self-contained HTML page (no external assets): a timeline with one row per runbook, green bars
 * for runs started (taller = more), coloured dots below for runs stopped by each reason, blue
 * triangles for pages held; then the printed report. Every text is escaped: target names and labels
 * come from alerts.
 */
export function renderHtml(report: BacktestReport): string {
  const reasons = stoppedReasons(report.timeline);
  const colour = (reason: string) => PALETTE[reasons.indexOf(reason) % PALETTE.length]!;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>remediator backtest ${esc(report.from)} .. ${esc(report.to)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
.legend span{margin-right:1.5em;white-space:nowrap}.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}</style>
</head><body>
<h1>What remediator would have done</h1>
<p>${esc(report.from)} .. ${esc(report.to)}, ${report.occurrences} alert occurrences from ${esc(report.prometheus)}.
Outcome model (${esc(report.outcomeModel.name)}): ${esc(report.outcomeModel.description)}.</p>
<p class="legend"><span><i class="sw" style="background:${STARTED}"></i>runs started</span><span><i class="sw" style="background:${HELD}"></i>pages held</span>${reasons
    .map((r) => `<span><i class="sw" style="background:${colour(r)}"></i>stopped: ${esc(r)}</span>`)
    .join('')}</p>
${timelineSvg(report, colour)}
<pre>${esc(formatReport(report))}</pre>
</body></html>
`;
}

function stoppedReasons(timeline: Timeline): string[] {
  const kinds = new Set<string>();
  for (const row of Object.values(timeline.rows))
    for (const kind of Object.keys(row))
      if (kind.startsWith('stopped:')) kinds.add(kind.slice('stopped:'.length));
  return [...kinds].sort();
}

function timelineSvg(report: BacktestReport, colour: (reason: string) => string): string {
  const { timeline } = report;
  const names = report.runbooks.map((r) => r.runbook);
  const height = AXIS + names.length * ROW;
  const x = (bucket: number) => LABEL + ((bucket + 0.5) * (WIDTH - LABEL)) / timeline.buckets;
  const parts: string[] = [];
  names.forEach((name, i) => {
    const mid = AXIS + i * ROW + ROW / 2;
    parts.push(`<text x="4" y="${mid - 2}">${esc(name)}</text>`);
    parts.push(
      `<text x="4" y="${mid + 12}" font-size="10" fill="#666">${esc(rowSummary(report.runbooks[i]!))}</text>`,
    );
    parts.push(`<line x1="${LABEL}" x2="${WIDTH}" y1="${mid}" y2="${mid}" stroke="#ddd"/>`);
    for (const [kind, buckets] of Object.entries(timeline.rows[name] ?? {})) {
      for (const [bucket, count] of Object.entries(buckets)) {
        const cx = x(Number(bucket)).toFixed(1);
        const size = Math.min(ROW / 2 - 4, 3 + 3 * Math.log2(count));
        const tip = `<title>${esc(`${kind}: ${count} at ${new Date(timeline.from + Number(bucket) * timeline.bucketMs).toISOString()}`)}</title>`;
        if (kind === 'started')
          parts.push(
            `<rect x="${cx}" y="${(mid - size - 1).toFixed(1)}" width="2" height="${size.toFixed(1)}" fill="${STARTED}">${tip}</rect>`,
          );
        else if (kind === 'held')
          parts.push(`<path d="M${cx} ${mid - size - 6}l-3 -5h6z" fill="${HELD}">${tip}</path>`);
        else
          parts.push(
            `<circle cx="${cx}" cy="${(mid + 3 + size / 2).toFixed(1)}" r="${(size / 2 + 1).toFixed(1)}" fill="${colour(kind.slice('stopped:'.length))}" fill-opacity="0.7">${tip}</circle>`,
          );
      }
    }
  });
  for (let tick = 0; tick <= 4; tick++) {
    const at = timeline.from + (tick / 4) * timeline.buckets * timeline.bucketMs;
    const tx = LABEL + (tick / 4) * (WIDTH - LABEL);
    parts.push(
      `<text x="${tx.toFixed(0)}" y="14" text-anchor="${tick === 0 ? 'start' : tick === 4 ? 'end' : 'middle'}" font-size="11">${esc(new Date(at).toISOString().slice(0, 16).replace('T', ' '))}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-size="12" role="img" aria-label="timeline of runs per runbook">${parts.join('')}</svg>`;
}

/** The row's numbers beside its name, so the picture reads without the table. */
function rowSummary(t: BacktestReport['runbooks'][number]): string {
  const stopped = Object.values(t.stopped).reduce((a, b) => a + b, 0);
  const parts = [`${t.started} started`, `${stopped} stopped`];
  if (t.circuitOpenings > 0) parts.push(`breaker opened ${t.circuitOpenings}x`);
  return parts.join(' · ');
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
