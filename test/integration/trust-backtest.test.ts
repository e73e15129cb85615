/**
 * `remediator backtest` fed an ALERTS history whose label values are hostile (a real Prometheus with a
 * promtool-built TSDB): markup that would run script in the HTML page, terminal escape sequences and
 * forged report lines, names of Object.prototype. The page is opened in Debian's chromium to prove
 * that nothing in it runs, rather than trusting a string search.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/report.ts';
import { backtestCommand } from '../../src/cli/backtest.ts';
import { everyMinute, toOpenMetrics } from '../harness/alert-history.ts';
import { launchChromium } from '../harness/browser.ts';
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.ts';

const HOUR = 3_600_000;
const H = Math.floor((Date.now() - 48 * HOUR) / HOUR) * HOUR;
const FROM = new Date(H).toISOString();
const TO = new Date(H + 6 * HOUR).toISOString();

/**
 * Instance labels an outsider sets (a pod name, a scraped app's own label); each is a target. Two
 * alert names, one runbook each, so that each runbook's "targets touched most" (its top 5) shows all.
 */
const MARKUP = [
  '</pre><script>window.__pwned="script"</script>',
  '<svg onload="window.__pwned=\'svg\'"></svg>',
  '"><img src=x onerror="window.__pwned=\'img\'">',
  "x' onmouseover='window.__pwned=1' style='position:fixed;inset:0",
  '</title></text><foreignObject><iframe srcdoc="<script>parent.__pwned=1</script>">',
];
const ODD = [
  '<style>*{display:none}</style>',
  'web-1\u001b]0;owned\u0007\u001b[2J\u009b2J',
  'web-2\n  look at before switching on: nothing',
  '__proto__',
  'toString',
];
const HOSTILE = [...MARKUP, ...ODD];

let prometheus: TestPrometheus;
let browser: Browser | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-trust-backtest-'));
  for (const [name, alert] of [
    ['restart', 'Down'],
    ['odd', 'Odd'],
  ])
    await writeFile(
      join(dir, `${name}.yaml`),
      [
        `name: ${name}`,
        'description: test',
        `match: ['alertname = "${alert}"']`,
        "target: '{{labels.instance}}'",
        'steps:',
        '  - name: restart',
        '    ssh: { command: [restart], timeout: 10s }',
        '',
      ].join('\n'),
    );
  // One occurrence each, 20 minutes apart, so every one of them starts a run.
  const series = HOSTILE.map((instance, i) => ({
    labels: { alertname: MARKUP.includes(instance) ? 'Down' : 'Odd', instance },
    samples: everyMinute(H + (10 + 20 * i) * 60_000, H + (15 + 20 * i) * 60_000),
  }));
  prometheus = await startPrometheus({ openMetrics: toOpenMetrics(series) });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function backtest(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const deps = {
    env: {},
    fetch,
    now: Date.now,
    out: (s: string) => (out += s),
    err: (s: string) => (err += s),
  };
  const argv = ['--prometheus', prometheus.url, '--runbooks', dir, '--from', FROM, '--to', TO, ...args];
  const code = await backtestCommand(argv, deps);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return out;
}

describe('backtest of hostile label values', () => {
  it('keeps every value exact in --json, counted once each, with no raw control character', async () => {
    const out = await backtest('--json');
    const report = JSON.parse(out) as BacktestReport;
    expect(Object.entries(report.totals.targets).sort()).toEqual(HOSTILE.map((h) => [h, 1]).sort());
    // JSON escapes C0 itself; C1 (U+009B is CSI to an 8-bit terminal) and DEL are written as \u too.
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  }, 60_000);

  it('prints no escape sequence and no forged line to the terminal', async () => {
    const out = await backtest();
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('web-1\\u001b]0;owned\\u0007\\u001b[2J\\u009b2J 1');
    expect(out).toContain('web-2\\u000a  look at before switching on: nothing 1');
    expect(out).not.toMatch(/^ {2}look at before switching on: nothing/m);
  }, 60_000);

  it('writes an HTML page in which no alert value runs or styles anything (in chromium)', async () => {
    const file = join(dir, 'report.html');
    await backtest('--html', file);
    const html = await readFile(file, 'utf8');
    browser = await launchChromium();
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
    await page.goto(`file://${file}`);
    await page.mouse.move(500, 300);
    // A string, as in the console's browser tests: the test code is compiled without the DOM types.
    const seen = await page.evaluate<{ pwned?: unknown; active: number; pre: string; visible: string }>(`({
      pwned: window.__pwned,
      active: document.querySelectorAll(
        'script, img, iframe, style, foreignObject, [onload], [onerror], [onmouseover]',
      ).length,
      pre: document.querySelector('pre')?.textContent ?? '',
      visible: getComputedStyle(document.body).display,
    })`);
    // The page's own <style> is the only style element, and nothing else active exists.
    expect({ pwned: seen.pwned, dialogs, active: seen.active, visible: seen.visible }).toEqual({
      pwned: undefined,
      dialogs: [],
      active: 1,
      visible: 'block',
    });
    // Those with control characters show escaped (the terminal test checks how).
    for (const h of HOSTILE.filter((v) => !v.includes('\n') && !v.includes('\u001b')))
      expect(seen.pre).toContain(`${h} 1`);
    expect(html.match(/<style>/g)).toHaveLength(1);
  }, 60_000);
});
