/**
 * Debian's Chromium driven by playwright-core (never a browser download), for every browser test
 * and the UI benchmark. Without Chromium or a UI build the web UI tests report themselves skipped;
 * under `CI=true` that fails the run instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { UI_DIR } from '../../src/api/web-ui.ts';

export const CHROMIUM = process.env.SIGHTLINE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why the UI tests cannot run here, or undefined. */
export function uiUnavailable(): string | undefined {
  let why: string | undefined;
  if (!existsSync(CHROMIUM)) why = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  else if (!existsSync(join(UI_DIR, 'index.html'))) why = 'the web UI is not built (npm run build:ui)';
  if (why && process.env.CI === 'true') throw new Error(`UI tests cannot run under CI=true: ${why}`);
  return why;
}

/** Why no browser test can run here (no Chromium), or undefined. */
export const chromiumMissing = () => (existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`);

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    timeout: 120_000,
  });
}

/** Runs `fn` until it stops throwing (pages render asynchronously), for up to `ms`. */
export async function eventually<T>(fn: () => Promise<T>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Watches a page for what must never happen: a console error, an uncaught exception, a failed
 * request, a request to another origin, an HTTP error the test did not expect.
 */
export function watch(
  page: Page,
  origin: string,
  expectedStatus: (url: string, status: number) => boolean = () => false,
) {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'))
      problems.push(`request to another origin: ${url}`);
  });
  page.on('requestfailed', (r) => {
    // Reads the app abandons on purpose (a filter changed) are aborted, not failed.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expectedStatus(r.url(), r.status())) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}
