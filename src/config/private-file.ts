import { open } from 'node:fs/promises';

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
