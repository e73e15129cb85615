import { describe, it, expect } from 'vitest';
import { buildRunbookIndex } from '../../../src/match/select.ts';
import type { Alert, AlertStatus, Runbook } from '../../../src/types.ts';
import { alert, runbook, seededRandom } from './helpers.ts';

const names = (runbooks: readonly Runbook[]): string[] => runbooks.map((r) => r.name);

/** What select must return, computed the obvious way. */
function naive(runbooks: readonly Runbook[], a: Alert): string[] {
  return names(runbooks.filter((r) => r.on === a.status && r.match.every((m) => m.matches(a.labels))));
}

describe('buildRunbookIndex().select', () => {
  const runbooks = [
    runbook('mem-generic', ['alertname="HighMemory"']),
    runbook('any-critical', ['severity="critical"']),
    runbook('mem-user', ['alertname = "HighMemory"', 'service=~"user-.*"']),
    runbook('disk', ['alertname="DiskFull"']),
    runbook('mem-resolved', ['alertname="HighMemory"'], 'resolved'),
    runbook('not-disk', ['alertname!="DiskFull"', 'team="db"']),
    runbook('mem-or-cpu', ['alertname=~"High(Memory|CPU)"']),
    runbook('cpu-or-disk', ['alertname=~"HighCPU|DiskFull"', 'team!="web"']),
    runbook('everything', []),
  ];
  const index = buildRunbookIndex(runbooks);

  it('returns every matching runbook in the original order', () => {
    const a = alert({ alertname: 'HighMemory', service: 'user-api', severity: 'critical', team: 'db' });
    expect(names(index.select(a))).toEqual([
      'mem-generic',
      'any-critical',
      'mem-user',
      'not-disk',
      'mem-or-cpu',
      'everything',
    ]);
  });

  it('selects only runbooks whose `on` equals the alert status', () => {
    const labels = { alertname: 'HighMemory', service: 'order-api' };
    expect(names(index.select(alert(labels, 'resolved')))).toEqual(['mem-resolved']);
    expect(names(index.select(alert(labels, 'firing')))).toEqual(['mem-generic', 'mem-or-cpu', 'everything']);
  });

  it('selects runbooks without an alertname equality for alerts of any name, or of none', () => {
    expect(names(index.select(alert({ alertname: 'HighCPU', team: 'db' })))).toEqual([
      'not-disk',
      'mem-or-cpu',
      'cpu-or-disk',
      'everything',
    ]);
    expect(names(index.select(alert({ severity: 'critical' })))).toEqual(['any-critical', 'everything']);
    expect(names(index.select(alert({ alertname: 'DiskFull', team: 'db' })))).toEqual([
      'disk',
      'cpu-or-disk',
      'everything',
    ]);
    expect(names(index.select(alert({ alertname: 'DiskFull', team: 'web' })))).toEqual([
      'disk',
      'everything',
    ]);
  });

  it('indexes alertname="" under the empty name, which an alert without alertname has', () => {
    const idx = buildRunbookIndex([
      runbook('nameless', ['alertname=""']),
      runbook('named', ['alertname="A"']),
    ]);
    expect(names(idx.select(alert({})))).toEqual(['nameless']);
    expect(names(idx.select(alert({ alertname: '' })))).toEqual(['nameless']);
    expect(names(idx.select(alert({ alertname: 'A' })))).toEqual(['named']);
  });

  it('checks every matcher, including a second alertname matcher', () => {
    const idx = buildRunbookIndex([
      runbook('contradiction', ['alertname="A"', 'alertname="B"']),
      runbook('narrowed', ['alertname="A"', 'alertname!~"A"']),
      runbook('both', ['alertname="A"', 'alertname=~"A|B"']),
      runbook('list-then-equal', ['alertname=~"A|B"', 'alertname="B"']),
      runbook('two-lists', ['alertname=~"A|B|A"', 'alertname=~"B|C"']),
    ]);
    expect(names(idx.select(alert({ alertname: 'A' })))).toEqual(['both']);
    expect(names(idx.select(alert({ alertname: 'B' })))).toEqual(['list-then-equal', 'two-lists']);
    expect(names(idx.select(alert({ alertname: 'C' })))).toEqual([]);
  });

  it('indexes a list of names with an empty alternative under the empty name too', () => {
    const idx = buildRunbookIndex([runbook('a-or-none', ['alertname=~"A|"'])]);
    expect(names(idx.select(alert({})))).toEqual(['a-or-none']);
    expect(names(idx.select(alert({ alertname: 'A' })))).toEqual(['a-or-none']);
    expect(names(idx.select(alert({ alertname: 'AA' })))).toEqual([]);
  });

  it('handles no runbooks, an unknown status, and returns a fresh array each time', () => {
    expect(buildRunbookIndex([]).select(alert({ alertname: 'A' }))).toEqual([]);
    const odd = { ...alert({ alertname: 'HighMemory' }), status: 'pending' as AlertStatus };
    expect(index.select(odd)).toEqual([]);
    const a = alert({ alertname: 'DiskFull' });
    const first = index.select(a);
    first.pop();
    expect(names(index.select(a))).toEqual(['disk', 'cpu-or-disk', 'everything']);
  });

  it('does not change or depend on the array it was built from afterwards', () => {
    const list = [runbook('a', ['alertname="A"'])];
    const idx = buildRunbookIndex(list);
    list.push(runbook('b', ['alertname="A"']));
    expect(names(idx.select(alert({ alertname: 'A' })))).toEqual(['a']);
    expect(names(list)).toEqual(['a', 'b']);
  });
});

describe('select agrees with a naive filter', () => {
  const random = seededRandom(20240501);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const ALERTNAMES = ['HighMemory', 'HighCPU', 'DiskFull', 'Down', ''];
  const LABELS = ['alertname', 'service', 'severity', 'team'];
  const VALUES = ['HighMemory', 'HighCPU', 'DiskFull', 'Down', 'user-api', 'order-api', 'critical', 'db', ''];
  const REGEXES = [
    'High.*',
    'user-.*|order-api',
    'Disk(Full)?',
    '.*',
    '.+',
    '',
    'critical|warning',
    '[A-Z][a-z]+',
  ];

  function generatedMatcher(): string {
    const name = pick(LABELS);
    const operator = pick(['=', '!=', '=~', '!~'] as const);
    const value = operator.endsWith('~') ? pick(REGEXES) : pick(VALUES);
    return `${name}${operator}${JSON.stringify(value)}`;
  }

  function generatedRunbook(i: number): Runbook {
    const match = Array.from({ length: Math.floor(random() * 4) }, generatedMatcher);
    // Half the runbooks name their alert, as real ones do; the rest exercise the unindexed path.
    if (random() < 0.5)
      match.splice(Math.floor(random() * (match.length + 1)), 0, `alertname="${pick(ALERTNAMES)}"`);
    return runbook(`rb-${i}`, match, random() < 0.8 ? 'firing' : 'resolved');
  }

  function generatedAlert(): Alert {
    const labels: Record<string, string> = {};
    for (const name of LABELS)
      if (random() < 0.7) labels[name] = name === 'alertname' ? pick(ALERTNAMES) : pick(VALUES);
    return alert(labels, random() < 0.8 ? 'firing' : 'resolved');
  }

  it('on 400 generated runbooks and 400 generated alerts', () => {
    const runbooks = Array.from({ length: 400 }, (_, i) => generatedRunbook(i));
    const index = buildRunbookIndex(runbooks);
    let selected = 0;
    for (let i = 0; i < 400; i += 1) {
      const a = generatedAlert();
      const got = names(index.select(a));
      expect(got).toEqual(naive(runbooks, a));
      selected += got.length;
    }
    // Guard against a generator so strict that both sides trivially return nothing.
    expect(selected).toBeGreaterThan(400);
  });
});
