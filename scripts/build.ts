/**
 * `npm run build`: the JavaScript of the published package. tsc compiles src/ to dist/ (imports of
 * `.ts` rewritten to `.js`), then the files the code reads beside itself (console templates, styles,
 * the browser script, the approval page) are copied to the same places under dist/. schema/ stays at
 * the package root, where dist/config/schema-check.js finds it as src/config/ does in a checkout.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('../', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
// --out-dir: the benchmark builds a copy of the package's layout of its own.
const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
const DIST = resolve(values['out-dir'] ?? join(ROOT, 'dist'));

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)])),
  );
  return nested.flat();
}

// A stale file from a deleted source must not ship.
await rm(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', DIST], {
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);
let copied = 0;
for (const file of await listFiles(SRC)) {
  if (file.endsWith('.ts')) continue;
  const target = join(DIST, relative(SRC, file));
  await mkdir(dirname(target), { recursive: true });
  await copyFile(file, target);
  copied++;
}
process.stderr.write(
  `${relative(process.cwd(), DIST) || '.'}: compiled src/, copied ${copied} other file(s)\n`,
);
