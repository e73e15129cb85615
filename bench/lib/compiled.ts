import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;

/**
 * The layout of the installed package in `outDir`: dist/ built by `npm run build`'s script, bin/, and
 * schema/, node_modules and package.json linked from the checkout. With no src/ beside it, bin/remediator.js
 * runs dist/, as it does under node_modules. Returns the entry file's path.
 */
export async function buildInstalledLayout(outDir: string): Promise<string> {
  const build = spawnSync(
    process.execPath,
    [join(REPO, 'scripts/build.ts'), '--out-dir', join(outDir, 'dist')],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0) throw new Error(`scripts/build.ts failed (exit ${build.status})`);
  await mkdir(join(outDir, 'bin'), { recursive: true });
  await copyFile(join(REPO, 'bin/remediator.js'), join(outDir, 'bin/remediator.js'));
  for (const name of ['node_modules', 'schema', 'package.json'])
    await symlink(join(REPO, name), join(outDir, name));
  return join(outDir, 'bin/remediator.js');
}
