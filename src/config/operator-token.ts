import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';

/** Where a generated operator token lives, under the data directory. */
export const GENERATED_TOKEN_FILE = 'operator-token';

export interface OperatorToken {
  readonly token: string;
  /** The file it came from when none was configured (generated on first start, 0600). */
  readonly generatedFile?: string;
  /** Why no file could be written (read-only data directory): the token is random and known to nobody. */
  readonly unwritable?: string;
}

/**
 * The operator token: the configured one, else the one in `<dataDir>/operator-token`, made on first
 * start (random, mode 0600, created exclusively so two processes starting at once agree). Writes are
 * never open: without a configured token, whoever can read the data directory can change things,
 * like Jupyter's token or Grafana's first admin password. The file's content is never logged.
 */
export function operatorToken(configured: string | undefined, dataDir: string): OperatorToken {
  if (configured !== undefined) return { token: configured };
  const file = join(dataDir, GENERATED_TOKEN_FILE);
  const fresh = randomBytes(32).toString('base64url');
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Closed rather than open: writes wait for a configured token (a container's read-only data dir).
    if (code !== 'EEXIST') return { token: fresh, unwritable: `${file}: ${code ?? String(err)}` };
  }
  const token = readGeneratedToken(dataDir);
  if (token === undefined) throw new ConfigError([`${file}: empty; delete it to get a new operator token`]);
  if ((statSync(file).mode & 0o077) !== 0)
    throw new ConfigError([
      `${file}: readable by other users (mode ${(statSync(file).mode & 0o777).toString(8)}); chmod 600 it`,
    ]);
  return { token, generatedFile: file };
}

/** The generated token of a data directory, if there is one (the CLI falls back to it). */
export function readGeneratedToken(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, GENERATED_TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
