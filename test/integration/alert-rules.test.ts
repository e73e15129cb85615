import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const RULES = new URL('../../alert-rules/', import.meta.url).pathname;

/** Rules file -> how many rules promtool must find in it. A new file must be added here. */
const EXPECTED: Record<string, number> = { 'remediator.yml': 9, 'demo.yml': 5 };

const files = readdirSync(RULES).sort();
const ruleFiles = files.filter((f) => f.endsWith('.yml') && !f.endsWith('.test.yml'));
const testFiles = files.filter((f) => f.endsWith('.test.yml'));

interface RulesDoc {
  groups: Array<{ rules: Array<{ alert?: string }> }>;
}
interface TestDoc {
  rule_files: string[];
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}
const readYaml = <T>(file: string) => parse(readFileSync(RULES + file, 'utf8')) as T;

/** The shipped rules, checked by the real promtool (Debian package `prometheus`). */
describe('alert-rules/', () => {
  it('has the rules files this test knows', () => {
    expect(ruleFiles).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(ruleFiles)('%s passes promtool check rules', async (file) => {
    const { stdout } = await run('promtool', ['check', 'rules', file], { cwd: RULES });
    expect(stdout).toContain(`SUCCESS: ${EXPECTED[file]} rules found`);
  });

  it.each(testFiles)('%s passes promtool test rules', async (file) => {
    const { stdout } = await run('promtool', ['test', 'rules', file], { cwd: RULES });
    expect(stdout).toContain('SUCCESS');
  });

  it.each(ruleFiles)('every alert in %s is unit-tested firing and not firing', (file) => {
    const alerts = readYaml<RulesDoc>(file).groups.flatMap((g) => g.rules.flatMap((r) => r.alert ?? []));
    const checks = testFiles
      .map((t) => readYaml<TestDoc>(t))
      .filter((t) => t.rule_files.includes(file))
      .flatMap((t) => t.tests.flatMap((group) => group.alert_rule_test ?? []));
    for (const alert of alerts) {
      const mine = checks.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} has no firing test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} has no not-firing test`,
      ).toBe(true);
    }
  });
});
