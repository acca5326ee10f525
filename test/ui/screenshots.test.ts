/**
 * Screenshots of the runs list, a run page, the log viewer, the waterfall and the events page,
 * light and dark, at 1280×800 with a frozen clock and no animation, compared with the baselines
 * in `test/ui/screenshots/chromium-<major>/` (at most 0.5 % of pixels may differ). What the
 * server's clock decides (times, durations, time-bucketed charts, bar positions) is masked.
 * When the installed Chromium has no baselines the comparison says which version to re-baseline
 * with and passes; `npm run test:ui -- --update-screenshots` (re)writes them. A failure saves the
 * actual and diff images next to the baseline (`*.actual.png`, `*.diff.png`, not committed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pixelmatch from 'pixelmatch';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { CHROMIUM, launch, uiUnavailable } from '../helpers/browser.ts';
import { engines } from '../helpers/engines.ts';
import { startUi, type UiServer } from './harness.ts';
import { type Seeded, seed } from './seed.ts';

type Json = any;
const skip = uiUnavailable() ?? engines[0].unavailable;
const UPDATE = process.env.SIGHTLINE_UPDATE_SCREENSHOTS === '1';
const MAX_DIFF = 0.005;

function chromiumMajor(): string {
  if (skip) return 'none';
  const out = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return /(\d+)\./.exec(out)?.[1] ?? 'unknown';
}
const MAJOR = chromiumMajor();
const DIR = new URL(`./screenshots/chromium-${MAJOR}/`, import.meta.url);

/** Whatever the server's clock decides, masked in every screenshot. */
const MASKED = [
  '.histogram',
  '.minimap',
  '.trace-track',
  '.trace-actions .muted',
  '.log-time',
  '.facts dd',
  '.runs-table .row > span:nth-child(4)',
  '.runs-table .row > span:nth-child(5)',
  '.event-time',
  '.count',
];

async function compare(page: Page, name: string): Promise<string | undefined> {
  await page.evaluate(() => (globalThis as Json).document.fonts.ready);
  const shot = await page.screenshot({
    mask: MASKED.map((m) => page.locator(m)),
    maskColor: '#ff00ff',
    animations: 'disabled',
  });
  const file = new URL(`${name}.png`, DIR);
  if (UPDATE) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, shot);
    return undefined;
  }
  if (!existsSync(file)) return `no baseline for Chromium ${MAJOR}`;
  const want = PNG.sync.read(readFileSync(file));
  const got = PNG.sync.read(shot);
  assert.deepEqual([got.width, got.height], [want.width, want.height], `${name}: size`);
  const diff = new PNG({ width: want.width, height: want.height });
  const n = pixelmatch(want.data, got.data, diff.data, want.width, want.height, { threshold: 0.1 });
  const share = n / (want.width * want.height);
  if (share > MAX_DIFF) {
    writeFileSync(new URL(`${name}.actual.png`, DIR), shot);
    writeFileSync(new URL(`${name}.diff.png`, DIR), PNG.sync.write(diff));
    assert.fail(
      `${name}: ${(share * 100).toFixed(2)} % of pixels differ (≤ ${MAX_DIFF * 100} %); see ${name}.diff.png`,
    );
  }
  return undefined;
}

describe('web UI screenshots', { skip }, () => {
  let server: UiServer;
  let origin: string;
  let browser: Browser;
  let data: Seeded;
  const missing: string[] = [];

  before(async () => {
    server = await startUi(await engines[0].newDatabaseUrl());
    origin = server.origin;
    data = await seed(server.api, { lines: 500, runs: 12 });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (missing.length)
      process.stderr.write(
        `screenshots: ${missing.length} without a baseline for Chromium ${MAJOR}: re-baseline with \`npm run test:ui -- --update-screenshots\` (its own commit)\n`,
      );
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`matches the baselines in the ${scheme} theme`, async () => {
      const ctx = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        colorScheme: scheme,
        reducedMotion: 'reduce',
      });
      const page = await ctx.newPage();
      // The seed's own moment: every relative window ("last 7 days") holds the same runs.
      await page.clock.setFixedTime(new Date(Date.now()));
      // What each page shows once drawn. The runs page draws its histogram after its first rows,
      // and the histogram's axis moves the rows down: a shot taken between the two misplaces the masks.
      const shots: [string, string, string[]][] = [
        ['runs', '/runs', ['.runs-table .row a', '.histogram-axis']],
        ['run-logs', `/runs/${data.big.run.id}`, ['.log-row:not(.placeholder)']],
        ['run-trace', `/runs/${data.big.run.id}/trace`, ['.trace-row']],
        ['run-tasks', `/runs/${data.big.run.id}?tab=tasks`, ['.task-run']],
        ['events', '/events?event=prefect.flow-run.Failed', ['.event-list li']],
      ];
      for (const [name, path, ready] of shots) {
        await page.goto(origin + path);
        for (const r of ready) await page.locator(r).first().waitFor({ timeout: 30_000 });
        // Rows still reading show '…': wait until none is left in view.
        await page.waitForFunction(() => !(globalThis as Json).document.querySelector('.placeholder'), undefined, {
          timeout: 30_000,
        });
        const problem = await compare(page, `${name}-${scheme}`);
        if (problem) missing.push(`${name}-${scheme}`);
      }
      await ctx.close();
    });
  }
});
