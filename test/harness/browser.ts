import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium package; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots of every run land here (gitignored); with UPDATE_SCREENSHOTS=1 the README's are refreshed too. */
export const ARTIFACTS = new URL('../../test-artifacts/screenshots/', import.meta.url);
export const DOCS = new URL('../../docs/screenshots/', import.meta.url);

/**
 * Real headless Chromium, with a fresh profile (playwright makes a new temporary user-data dir per
 * launch and deletes it on close). Missing chromium is a failure, never a skip: CI installs it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the console's browser tests need Debian's chromium package ` +
        '(sudo apt-get install -y chromium; .ci/run installs it). No browser is downloaded.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/**
 * Saves a full-page screenshot as test-artifacts/screenshots/<name>.png; with `docs` and
 * UPDATE_SCREENSHOTS=1 also as docs/screenshots/<name>.png (committed, shown in the README).
 */
export async function screenshot(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = new URL(`${name}.png`, ARTIFACTS);
  await page.screenshot({ path: file.pathname, fullPage: true });
  if (options.docs && process.env['UPDATE_SCREENSHOTS'] === '1') {
    await mkdir(DOCS, { recursive: true });
    await copyFile(file, new URL(`${name}.png`, DOCS));
  }
}

/** Collects what would show a broken page: script errors and Content-Security-Policy violations. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return problems;
}
