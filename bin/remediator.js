#!/usr/bin/env node
// From a checkout, Node runs the TypeScript in src/ itself (type stripping: no transpiler, no build to
// forget). An installed package has no src/ but the JavaScript `npm run build` put in dist/; Node also
// refuses to strip types from files under node_modules, so a checkout installed as a dependency (e.g.
// from git) must use dist/ too.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = new URL('../src/cli.ts', import.meta.url);
const fromSource = existsSync(src) && !fileURLToPath(src).split(/[\\/]/).includes('node_modules');
const { main } = await import(fromSource ? src.href : new URL('../dist/cli.js', import.meta.url).href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// After serve/worker stopped, a Redis client still retrying an absent server must not keep us alive.
setTimeout(() => process.exit(code), 1000).unref();
