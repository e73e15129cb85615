import { chmod, open, readFile, stat } from 'node:fs/promises';

/**
 * Creates `file` with mode 0600 and `text`, only if it does not exist yet: O_EXCL, so two processes
 * starting at once agree on one content and a symlink planted in its place is not followed.
 *
 * @returns true when this call made the file, false when it was there already
 */
export async function createPrivateFile(file: string, text: string): Promise<boolean> {
  const handle = await open(file, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return undefined;
    throw err;
  });
  if (handle === undefined) return false;
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * The text of a secret file that is made on first start: creates `file` with `fresh` (mode 0600,
 * exclusively) when missing, tightens an existing file that others could read (telling `warn`), and
 * returns what the file holds, which may be another process's `fresh`.
 */
export async function readOrCreatePrivateFile(
  file: string,
  fresh: string,
  warn: (msg: string) => void = () => {},
): Promise<string> {
  if (!(await createPrivateFile(file, fresh))) {
    const { mode } = await stat(file);
    if ((mode & 0o077) !== 0) {
      warn(`${file} was readable by other users (mode ${(mode & 0o777).toString(8)}); set it to 0600`);
      await chmod(file, 0o600);
    }
  }
  return readFile(file, 'utf8');
}
