import { mkdtempSync } from 'node:fs';
import { join, relative } from 'node:path';
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
  const slug = file.replace(/^test\//, '').replace(/[^A-Za-z0-9._]+/g, '-');
  process.env['TMPDIR'] = mkdtempSync(join(runDir, `file-${slug}-`));
  process.env[STARTED_BY_VAR] = file;
  beforeEach(() => {
    process.env[STARTED_BY_VAR] = `${file} > ${expect.getState().currentTestName ?? '?'}`;
  });
  afterEach(() => {
    process.env[STARTED_BY_VAR] = file;
  });
}
