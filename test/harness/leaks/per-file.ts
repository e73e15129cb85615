import { chmodSync, mkdtempSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { RUN_DIR_VAR, STARTED_BY_VAR } from './scan.ts';

/**
 * vitest setupFile: gives this test file its own temp directory inside the run directory, and marks
 * everything it spawns with the test that was running, so the leak check (global-setup.ts) can say
 * which test file left a file and which test started a process that outlived it.
 */
const runDir = process.env[RUN_DIR_VAR];
if (runDir !== undefined) {
  const file = relative(process.cwd(), expect.getState().testPath ?? 'unknown');
  // Short (Unix socket paths under it must fit in 108 bytes): `t-` and the file's name, e.g. t-crash-Xy12ab.
  const slug = basename(file)
    .replace(/\.test\.ts$/, '')
    .replace(/[^A-Za-z0-9._]+/g, '-')
    .slice(0, 24);
  process.env['TMPDIR'] = mkdtempSync(join(runDir, `t-${slug}-`));
  chmodSync(process.env['TMPDIR'], 0o711); // traversable, as the run directory (global-setup.ts)
  process.env[STARTED_BY_VAR] = file;
  beforeEach(() => {
    process.env[STARTED_BY_VAR] = `${file} > ${expect.getState().currentTestName ?? '?'}`;
  });
  afterEach(() => {
    process.env[STARTED_BY_VAR] = file;
  });
}
