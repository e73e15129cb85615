#!/usr/bin/env node
// The npm registry reachable here does not serve every platform build of some optional native
// add-ons (msgpackr-extract, pulled in by bullmq), so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock as out of sync. This adds lock entries for
// the missing platform packages (with os/cpu, so npm skips them on other machines without fetching).
// Run it after every `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key] || packages[`${path}/node_modules/${dep}`]) continue;
    const platform = /-(darwin|linux|win32|freebsd|android)-(arm64|x64|arm|ia32)(?:-|$)/.exec(dep);
    if (!platform) continue;
    packages[key] = { version, cpu: [platform[2]], license: 'MIT', optional: true, os: [platform[1]] };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(LOCK, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(`lock-optional-platforms: ${added} entr${added === 1 ? 'y' : 'ies'} added`);
