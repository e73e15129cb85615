import { copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const REPO = new URL('../../', import.meta.url).pathname;

/**
 * The service's sources transpiled to JavaScript (types stripped, `.ts` imports rewritten to `.js`; other
 * files copied), with
 * an entry point like bin/remediator.js but without tsx: how much of the resident memory is the tsx loader.
 * Returns the entry file's path.
 */
export async function compileService(outDir: string): Promise<string> {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
    rewriteRelativeImportExtensions: true,
    verbatimModuleSyntax: true,
  };
  for (const file of await listFiles(join(REPO, 'src'))) {
    const out = join(outDir, relative(REPO, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    // Templates, styles and scripts the code reads beside itself are copied as they are.
    if (!file.endsWith('.ts')) {
      await copyFile(file, out);
      continue;
    }
    await writeFile(
      out,
      ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions: options }).outputText,
    );
  }
  // Packages, the JSON schemas and package.json (for the version) are found relative to the code,
  // as in the checkout.
  await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules'));
  await symlink(join(REPO, 'schema'), join(outDir, 'schema'));
  await symlink(join(REPO, 'package.json'), join(outDir, 'package.json'));
  const entry = join(outDir, 'remediator.mjs');
  await writeFile(
    entry,
    "import { main } from './src/cli.js';\n" +
      'const code = await main(process.argv.slice(2));\n' +
      'process.exitCode = code;\n' +
      'setTimeout(() => process.exit(code), 1000).unref();\n',
  );
  return entry;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? listFiles(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]),
    ),
  );
  return nested.flat();
}
