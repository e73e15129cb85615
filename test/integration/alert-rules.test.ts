import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const RULES = new URL('../../alert-rules/', import.meta.url).pathname;

/** The shipped rules, checked by the real promtool (Debian package `prometheus`). */
describe('alert-rules/', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', 'remediator.yml'], { cwd: RULES });
    expect(stdout).toContain('SUCCESS: 5 rules found');
  });
  it('passes its promtool unit tests', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'remediator.test.yml'], { cwd: RULES });
    expect(stdout).toContain('SUCCESS');
  });
});
