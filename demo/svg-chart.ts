/**
 * A small hand-written SVG chart for `demo/panels.ts`: a line chart (time on x, value on y) or a state
 * timeline (one band per series, coloured by state), white background, legend below. No dependencies.
 */

export interface Series {
  readonly name: string;
  /** [unix seconds, value]; NaN values are gaps. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartOptions {
  readonly title: string;
  readonly series: readonly Series[];
  /** Time range in unix seconds; x labels are relative to `start` (m:ss). */
  readonly start: number;
  readonly end: number;
  /** Distance between samples, seconds: a longer gap breaks the line. */
  readonly step: number;
  readonly unit?: 's' | 'short' | 'percentunit';
  /** Timeline instead of lines: value -> [label, colour]. */
  readonly states?: ReadonlyMap<number, readonly [string, string]>;
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = ['#5794F2', '#B877D9', '#F2CC0C', '#8AB8FF', '#FF7383', '#37872D', '#8F3BB8', '#1F60C4'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colourFor(name: string, index: number): string {
  if (/\b(failed|failure|open)\b/.test(name)) return '#F2495C';
  if (/\bunknown\b/.test(name)) return '#FF9830';
  if (/\bsucceeded\b/.test(name)) return '#73BF69';
  if (/\bskipped\b/.test(name)) return '#999999';
  return PALETTE[index % PALETTE.length]!;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  const last = Math.ceil(max / step - 1e-9) * step;
  for (let v = Math.floor(min / step) * step; v <= last + step * 1e-9; v += step) {
    ticks.push(Number(v.toFixed(10)));
  }
  return ticks;
}

function formatValue(value: number, unit: ChartOptions['unit']): string {
  if (unit === 'percentunit') return `${Math.round(value * 100)}%`;
  const text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
  return unit === 's' ? `${text} s` : text;
}

const formatTime = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;

function timeTicks(span: number): number[] {
  const step = [10, 15, 30, 60, 120, 300, 600, 900, 1800].find((s) => span / s <= 7) ?? 3600;
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return ticks;
}

/** Legend items laid out in rows within `width`; returns [x, row] per item and the row count. */
function legendLayout(
  names: readonly string[],
  width: number,
): { at: Array<[number, number]>; rows: number } {
  const at: Array<[number, number]> = [];
  let x = 0;
  let row = 0;
  for (const name of names) {
    const w = 22 + name.length * 6.5 + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      row += 1;
    }
    at.push([x, row]);
    x += w;
  }
  return { at, rows: names.length === 0 ? 0 : row + 1 };
}

export function renderChart(options: ChartOptions): string {
  const { title, series, start, end, step, unit = 'short', states } = options;
  const width = options.width ?? 720;
  const baseHeight = options.height ?? 260;
  const legendNames = states ? [...states.values()].map(([label]) => label) : series.map((s) => s.name);
  const left = states ? 130 : 56;
  const right = 16;
  const top = 34;
  const legend = legendLayout(legendNames, width - left - right);
  const height = baseHeight + Math.max(0, legend.rows - 1) * 18;
  const bottom = 40 + legend.rows * 18;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const span = Math.max(1, end - start);
  const x = (t: number) => left + ((t - start) / span) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" ${FONT} font-size="14" font-weight="bold" fill="#222">${escape(title)}</text>`,
  ];

  // Time axis.
  for (const t of timeTicks(span)) {
    const px = x(start + t).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${top}" x2="${px}" y2="${top + plotH}" stroke="#eee"/>`,
      `<text x="${px}" y="${top + plotH + 14}" ${FONT} font-size="10" fill="#555" text-anchor="middle">${formatTime(t)}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW}" y="${top + plotH + 28}" ${FONT} font-size="10" fill="#888" text-anchor="end">m:ss since the demo was ready</text>`,
  );

  if (series.length === 0) {
    out.push(
      `<text x="${left + plotW / 2}" y="${top + plotH / 2}" ${FONT} font-size="12" fill="#888" text-anchor="middle">no data</text>`,
    );
  } else if (states) {
    const band = plotH / series.length;
    series.forEach((s, i) => {
      const y0 = top + i * band;
      out.push(
        `<text x="${left - 6}" y="${(y0 + band / 2 + 4).toFixed(1)}" ${FONT} font-size="11" fill="#333" text-anchor="end">${escape(s.name)}</text>`,
      );
      for (const [t, v] of s.points) {
        const colour = states.get(v)?.[1];
        if (colour === undefined) continue;
        const x0 = x(Math.max(start, t - step / 2));
        const x1 = x(Math.min(end, t + step / 2));
        out.push(
          `<rect x="${x0.toFixed(1)}" y="${(y0 + 2).toFixed(1)}" width="${(x1 - x0 + 0.3).toFixed(1)}" height="${(band - 4).toFixed(1)}" fill="${colour}"/>`,
        );
      }
    });
  } else {
    const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
    const ticks = niceTicks(Math.min(0, ...values), Math.max(...values, unit === 'percentunit' ? 1 : 0), 4);
    const lo = ticks[0]!;
    const hi = ticks[ticks.length - 1]!;
    const y = (v: number) => top + plotH - ((v - lo) / (hi - lo || 1)) * plotH;
    for (const v of ticks) {
      const py = y(v).toFixed(1);
      out.push(
        `<line x1="${left}" y1="${py}" x2="${left + plotW}" y2="${py}" stroke="#eee"/>`,
        `<text x="${left - 6}" y="${(Number(py) + 3).toFixed(1)}" ${FONT} font-size="10" fill="#555" text-anchor="end">${escape(formatValue(v, unit))}</text>`,
      );
    }
    series.forEach((s, i) => {
      const colour = colourFor(s.name, i);
      // Split into runs of consecutive samples; a gap longer than 1.5 steps (or NaN) breaks the line.
      const runs: Array<Array<[number, number]>> = [];
      let prev = -Infinity;
      for (const [t, v] of s.points) {
        if (!Number.isFinite(v)) {
          prev = -Infinity;
          continue;
        }
        if (t - prev > step * 1.5) runs.push([]);
        runs[runs.length - 1]!.push([x(t), y(v)]);
        prev = t;
      }
      for (const run of runs) {
        const path = run
          .map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`)
          .join('');
        if (run.length === 1) {
          const [px, py] = run[0]!;
          out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="2" fill="${colour}"/>`);
          continue;
        }
        const base = y(Math.max(lo, 0)).toFixed(1);
        out.push(
          `<path d="${path}L${run[run.length - 1]![0].toFixed(1)},${base}L${run[0]![0].toFixed(1)},${base}Z" fill="${colour}" fill-opacity="0.12"/>`,
          `<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.6" stroke-linejoin="round"/>`,
        );
      }
    });
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`);

  // Legend.
  const legendTop = top + plotH + 40;
  legendNames.forEach((name, i) => {
    const [lx, row] = legend.at[i]!;
    const colour = states ? [...states.values()][i]![1] : colourFor(name, i);
    const px = left + lx;
    const py = legendTop + row * 18;
    out.push(
      `<rect x="${px}" y="${states ? py - 9 : py - 5}" width="14" height="${states ? 10 : 3}" fill="${colour}"/>`,
      `<text x="${px + 20}" y="${py}" ${FONT} font-size="11" fill="#333">${escape(name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
