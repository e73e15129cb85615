import { randomBytes } from 'node:crypto';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createPrivateFile, readOrCreatePrivateFile } from '../config/private-file.ts';
import { RemediatorError } from '../errors.ts';

/** Where the embedded Redis' password lives, in its data directory. */
export const PASSWORD_FILE = 'redis.password';
/** The config file redis-server reads `requirepass` from, so the password is never on its command line. */
export const AUTH_CONFIG_FILE = 'redis-auth.conf';

/**
 * The embedded Redis' password: read from `<dataDir>/redis.password`, or made (32 random bytes, hex)
 * on first start. Any local user can connect to a loopback port, so the password is what keeps them
 * from the run records and the queue; the file is mode 0600 and its directory 0700.
 *
 * @param warn told when an existing file was readable by others (its mode is tightened)
 * @throws RemediatorError `E_REDIS_AUTH` when the file exists but cannot be used
 */
export async function ensureRedisPassword(dataDir: string, warn: (msg: string) => void): Promise<string> {
  await chmod(dataDir, 0o700);
  const file = join(dataDir, PASSWORD_FILE);
  const password = (await readOrCreatePrivateFile(file, `${randomBytes(32).toString('hex')}\n`, warn)).trim();
  if (!/^[\w.~+/=-]{16,}$/.test(password)) {
    throw new RemediatorError(
      'E_REDIS_AUTH',
      `${file}: not a usable Redis password (16 or more of A-Z a-z 0-9 _ . ~ + / = -); ` +
        'delete it and a new one is made at the next start',
    );
  }
  return password;
}

/**
 * Writes `requirepass` into `<dataDir>/redis-auth.conf` (mode 0600, made anew each start so its mode
 * and content are ours) and returns its path, for redis-server's first argument.
 */
export async function writeAuthConfig(dataDir: string, password: string): Promise<string> {
  const file = join(dataDir, AUTH_CONFIG_FILE);
  await rm(file, { force: true });
  // Written by remediator, read by redis-server: the password is a checked token without quotes.
  await createPrivateFile(file, `requirepass "${password}"\n`);
  return file;
}
