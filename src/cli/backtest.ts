import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readHistory } from '../backtest/history.ts';
import { OUTCOME_MODELS, type OutcomeModel } from '../backtest/outcome-model.ts';
import { renderHtml } from '../backtest/report-html.ts';
import { buildReport, formatReport, reportJson } from '../backtest/report.ts';
import { replay } from '../backtest/replay.ts';
import { parseTimeArg } from '../backtest/time-arg.ts';
import { parseDuration } from '../config/duration.ts';
import { loadInventory } from '../config/inventory.ts';
import { loadRunbooks } from '../config/runbooks.ts';
import { readSettings, type Env } from '../config/settings.ts';
import { ConfigError } from '../errors.ts';
import { parseMatcher } from '../match/matcher.ts';
import type { Pause } from '../stores/types.ts';

export const BACKTEST_USAGE =
  'usage: remediator backtest --prometheus URL --from TIME [--to TIME] [--runbooks DIR] [--inventory FILE]\n' +
  '         [--outcome history|always-succeed|always-fail] [--step 60s] [--chunk 24h] [--pause MATCHER]...\n' +
  '         [--json] [--html FILE]\n' +
  'TIME: RFC 3339 (2026-11-01T00:00:00Z), now, or relative (-30d, -6h, -90m)';

export interface BacktestDeps {
  readonly env: Env;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/**
 * `remediator backtest`: what the runbooks would have done with the alerts Prometheus recorded. Reads
 * the history, replays it on a throwaway in-memory state (it opens no Redis connection at all) and
 * prints the report. Exit 1 when the range holds no firing alert: an empty table would read as "safe".
 */
export async function backtestCommand(args: readonly string[], deps: BacktestDeps): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      prometheus: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string', default: 'now' },
      runbooks: { type: 'string' },
      inventory: { type: 'string' },
      outcome: { type: 'string', default: 'history' },
      step: { type: 'string', default: '60s' },
      chunk: { type: 'string', default: '24h' },
      pause: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      html: { type: 'string' },
    },
  });
  const settings = readSettings(deps.env);
  const prometheus = values.prometheus ?? settings.prometheusUrl;
  if (!prometheus || !values.from) {
    deps.err(`remediator backtest: --prometheus and --from are required\n${BACKTEST_USAGE}`);
    return 2;
  }
  const now = deps.now();
  const from = parseTimeArg('--from', values.from, now);
  const to = parseTimeArg('--to', values.to, now);
  const outcome = outcomeOf(values.outcome);
  const stepMs = durationOf('--step', values.step);
  const chunkMs = durationOf('--chunk', values.chunk);
  if (to <= from) throw new ConfigError([`--from ${values.from} must be before --to ${values.to}`]);
  const runbooks = await loadRunbooks([values.runbooks ?? settings.runbooksDir]);
  const inventory = values.inventory ? await loadInventory(values.inventory, { env: deps.env }) : undefined;
  const occurrences = await readHistory(
    { fetch: deps.fetch },
    { url: prometheus, from, to, stepMs, chunkMs },
  );
  if (occurrences.length === 0) {
    deps.err(
      `remediator backtest: no firing alert in ALERTS{alertstate="firing"} at ${prometheus} between ` +
        `${new Date(from).toISOString()} and ${new Date(to).toISOString()}: nothing to replay ` +
        '(check the URL, the range, and that Prometheus still keeps that time)',
    );
    return 1;
  }
  const result = await replay(occurrences, {
    runbooks,
    settings,
    pageHold: settings.pageHold,
    outcome,
    from,
    to,
    ...(inventory ? { inventory } : {}),
    pauses: pausesOf(values.pause, from, to),
  });
  const report = buildReport(result, { prometheus, from, to, outcome });
  deps.out(values.json ? reportJson(report) : formatReport(report));
  if (values.html) await writeFile(values.html, renderHtml(report));
  return 0;
}

function outcomeOf(text: string): OutcomeModel {
  if ((OUTCOME_MODELS as readonly string[]).includes(text)) return text as OutcomeModel;
  throw new ConfigError([`--outcome: "${text}" is not one of ${OUTCOME_MODELS.join(', ')}`]);
}

function durationOf(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000)
    throw new ConfigError([`${option}: "${text}" is not a duration of 1s or more (like 60s, 24h)`]);
  return ms;
}

/** Each --pause covers the whole range, as an operator's pause would have. */
function pausesOf(texts: readonly string[], from: number, to: number): Pause[] {
  return texts.map((text, i) => {
    parseMatcher(text); // a matcher that does not parse is an error here, not a pause matching nothing
    return {
      id: `backtest-${i + 1}`,
      matchers: [text],
      comment: `--pause ${text}`,
      createdBy: 'backtest',
      createdAt: new Date(from).toISOString(),
      expiresAt: new Date(to + 86_400_000).toISOString(),
    };
  });
}
