import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';

/**
 * Claims the data directory for this process: the embedded Redis lives there, and a second instance
 * starting on it would stop the first one's Redis as an orphan. Returns a function that gives it back.
 */
export function claimDataDir(dataDir: string, pid = process.pid): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'remediator.pid');
  const owner = readOwner(file);
  if (owner !== undefined && owner !== pid && isRemediator(owner)) {
    throw new ConfigError([
      `${dataDir}: in use by remediator process ${owner} (its embedded Redis lives there); give this instance ` +
        'its own REMEDIATOR_DATA_DIR, or run both against one Redis with REDIS_URL',
    ]);
  }
  writeFileSync(file, `${pid}\n`);
  return () => {
    if (readOwner(file) === pid) rmSync(file, { force: true });
  };
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRemediator(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('remediator');
  } catch {
    return false;
  }
}
