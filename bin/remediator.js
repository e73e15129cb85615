#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// After serve/worker stopped, a Redis client still retrying an absent server must not keep us alive.
setTimeout(() => process.exit(code), 1000).unref();
