import { RUN_DIR_VAR, STARTED_BY_VAR } from './leaks/scan.ts';

/**
 * The environment for a program a test starts with an environment of its own (instead of the test's):
 * PATH, and what ties it to the test run (its temp directory and the leak check's marks, see
 * test/harness/leaks/), so its temp files stay in the run directory and a leak of it is found.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'TMPDIR', 'NODE_COMPILE_CACHE', RUN_DIR_VAR, STARTED_BY_VAR]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}
