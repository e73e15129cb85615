import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsFingerprint } from '../../../src/backtest/fingerprint.ts';
import { alertLabels, type Occurrence } from '../../../src/backtest/history.ts';
import { replay } from '../../../src/backtest/replay.ts';
import { buildReport, formatReport } from '../../../src/backtest/report.ts';
import { loadRunbooks } from '../../../src/config/runbooks.ts';
import { readSettings } from '../../../src/config/settings.ts';
import type { Runbook } from '../../../src/types.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
// Names Object.prototype already has: as keys of a plain `{}` count, `__proto__` is dropped and the
// others start from a function, so the report would hide or garble the targets an alert names.
const NAMES = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];
let dir: string;
let runbooks: Runbook[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-trust-keys-'));
  await writeFile(
    join(dir, 'restart.yaml'),
    [
      'name: restart',
      'description: test',
      'match: [\'alertname = "Down"\']',
      "target: '{{labels.instance}}'",
      'steps:',
      '  - name: restart',
      '    ssh: { command: [restart], timeout: 10s }',
      '',
    ].join('\n'),
  );
  runbooks = await loadRunbooks([dir]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function down(instance: string, start: number): Occurrence {
  const labels = { alertname: 'Down', instance };
  return { labels, fingerprint: labelsFingerprint(labels), startsAt: start, endsAt: start + MIN };
}

describe('backtest with label values that are names of Object.prototype', () => {
  it('counts each target (no --inventory: the label is the target) and prints it as it is', async () => {
    const occurrences = NAMES.map((name, i) => down(name, T0 + i * 10 * MIN));
    const options = { runbooks, settings: readSettings({}), outcome: 'always-succeed' as const };
    const result = await replay(occurrences, { ...options, from: T0, to: T0 + 60 * MIN });
    const t = result.runbooks.find((r) => r.runbook === 'restart')!;
    expect(t.started).toBe(5);
    expect(Object.entries(t.targets).sort()).toEqual(NAMES.map((n) => [n, 1]).sort());
    expect(Object.entries(result.totals.targets).sort()).toEqual(NAMES.map((n) => [n, 1]).sort());
    const report = buildReport(result, {
      prometheus: 'http://p',
      from: T0,
      to: T0 + 60 * MIN,
      outcome: 'history',
    });
    expect(formatReport(report)).toContain(
      'targets touched most: __proto__ 1, constructor 1, hasOwnProperty 1, toString 1, valueOf 1',
    );
    expect(JSON.parse(JSON.stringify(report)).runbooks[0].targets).toEqual(
      Object.fromEntries(NAMES.map((n) => [n, 1])),
    );
  });

  it('keeps a label named __proto__ as a label, as Prometheus stores it and Alertmanager fingerprints it', () => {
    const metric = JSON.parse(
      '{"__name__":"ALERTS","alertstate":"firing","alertname":"A","__proto__":"x"}',
    ) as Record<string, string>;
    const labels = alertLabels(metric);
    expect(Object.keys(labels).sort()).toEqual(['__proto__', 'alertname']);
    expect(labelsFingerprint(labels)).toBe(
      labelsFingerprint(JSON.parse('{"alertname":"A","__proto__":"x"}') as Record<string, string>),
    );
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });
});
