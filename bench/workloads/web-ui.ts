/**
 * The web UI in Debian's Chromium (`npm run bench -- --ui`): the runs page among 100,000 runs
 * (time to the first rows), and a 1M-line run's log viewer — ten seconds of wheel scrolling
 * (frame times from requestAnimationFrame), then ten jumps by the scrollbar (time until the
 * lines at the new position are drawn), and the page's JS heap afterwards.
 */
import { chromium } from 'playwright-core';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { HttpClient } from '../lib/http.ts';
import { table } from '../lib/results.ts';
import { int, ms } from '../lib/stats.ts';
import { loadLines, loadRuns } from './management.ts';

// The browser globals of the functions run in the page (the bench is checked without the DOM library).
declare const requestAnimationFrame: (cb: (t: number) => void) => number;
declare const document: { querySelector(selector: string): { scrollTop: number } | null };

const ROW = 22;
const GOALS = { fps: 55, slowShare: 0.01, jump: 200, heapMb: 150, firstRows: 500 };

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

export const webUi: Workload = {
  name: 'web-ui',
  title: 'Web UI in Chromium: a 1M-line run’s log viewer, the runs page among 100k runs',
  size: () => ({ n: 1_000_000, noun: 'log lines' }),
  async run(ctx: BenchContext) {
    const server = await ctx.server();
    await loadRuns(server.apiUrl);
    const http = new HttpClient(server.apiUrl);
    const flow = JSON.parse((await http.ok('POST', 'flows/', JSON.stringify({ name: 'big' }))).body).id;
    const body = JSON.stringify({ flow_id: flow, name: 'big-run', state: { type: 'RUNNING' } });
    const run = JSON.parse((await http.ok('POST', 'flow_runs/', body)).body).id;
    http.close();
    await loadLines(server.apiUrl, run);
    log('  loaded 100k runs and a 1M-line run');
    const origin = new URL(server.apiUrl).origin;

    const browser = await chromium.launch({
      executablePath: process.env.SIGHTLINE_TEST_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // The runs page: navigation to the first rows drawn, three times (the first warms caches).
      const firstRows: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await page.goto(`${origin}/runs?range=30d`);
        await page.locator('.runs-table .row:not(.head) a').first().waitFor({ timeout: 60_000 });
        firstRows.push(performance.now() - t);
      }
      log(`  runs page, first rows: ${firstRows.map((x) => x.toFixed(0)).join(', ')} ms`);

      const t = performance.now();
      await page.goto(`${origin}/runs/${run}`);
      await page.locator('.log-row:not(.placeholder)').first().waitFor({ timeout: 60_000 });
      const runFirst = performance.now() - t;

      // Ten seconds of wheel scrolling over the log list, frames timed in the page.
      const box = (await page.locator('.log-scroll').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.evaluate(() => {
        const w = globalThis as unknown as { frames_: number[]; stop_: boolean };
        w.frames_ = [];
        w.stop_ = false;
        const loop = (ts: number) => {
          w.frames_.push(ts);
          if (!w.stop_) requestAnimationFrame(loop);
        };
        requestAnimationFrame(loop);
      });
      const end = performance.now() + 10_000;
      while (performance.now() < end) {
        await page.mouse.wheel(0, 120);
        await new Promise((r) => setTimeout(r, 16));
      }
      const frames = await page.evaluate(() => {
        const w = globalThis as unknown as { frames_: number[]; stop_: boolean };
        w.stop_ = true;
        return w.frames_;
      });
      const gaps = frames.slice(1).map((f, i) => f - frames[i]);
      const seconds = (frames[frames.length - 1] - frames[0]) / 1000;
      const fps = gaps.length / seconds;
      const slow33 = gaps.filter((g) => g > 33).length / gaps.length;
      const slow50 = gaps.filter((g) => g > 50).length;
      log(`  wheel scrolling: ${fps.toFixed(1)} fps, p99 frame ${quantile(gaps, 0.99).toFixed(1)} ms`);

      // Ten jumps by the scrollbar: time until the target line is drawn.
      const jumps: number[] = [];
      for (let k = 0; k < 10; k++) {
        const target = Math.floor(((k * 7 + 3) % 10) * 100_000 + 12_345);
        const elapsed = await page.evaluate(
          ({ target, row }) =>
            new Promise<number>((resolve) => {
              const el = document.querySelector('.log-scroll')!;
              const t0 = performance.now();
              el.scrollTop = target * row;
              const check = () => {
                const drawn = document.querySelector(`.log-row[data-index="${target}"]:not(.placeholder)`);
                if (drawn) resolve(performance.now() - t0);
                else if (performance.now() - t0 > 10_000) resolve(Number.POSITIVE_INFINITY);
                else requestAnimationFrame(check);
              };
              requestAnimationFrame(check);
            }),
          { target, row: ROW },
        );
        jumps.push(elapsed);
      }
      log(`  jumps: ${jumps.map((j) => j.toFixed(0)).join(', ')} ms`);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = (await cdp.send('Runtime.getHeapUsage')).usedSize / 1e6;

      const met = (ok: boolean) => (ok ? 'met' : '**missed**');
      const p95 = quantile(gaps, 0.95);
      const p99 = quantile(gaps, 0.99);
      return [
        `Headless Chromium (Debian's, \`--disable-gpu\`), 1400×900, against one server on ${ctx.engine} holding`,
        `${int(100_000)} runs and one run of ${int(1_000_000)} log lines. The runs page opens on the last 30 days.`,
        '',
        table(
          ['measure', 'value', 'goal', ''],
          [
            [
              'runs page: navigation → first rows (3 loads)',
              firstRows.map((x) => `${x.toFixed(0)} ms`).join(', '),
              `≤ ${GOALS.firstRows} ms`,
              met(Math.max(...firstRows.slice(1)) <= GOALS.firstRows),
            ],
            ['run page: navigation → first log lines', `${runFirst.toFixed(0)} ms`, '', ''],
            ['wheel scrolling, 10 s: mean fps', `**${fps.toFixed(1)}**`, `≥ ${GOALS.fps}`, met(fps >= GOALS.fps)],
            ['frame time p95 / p99', `${ms(p95)} / ${ms(p99)} ms`, '', ''],
            [
              'frames over 33 ms / over 50 ms',
              `${(slow33 * 100).toFixed(2)} % / ${slow50}`,
              `< ${GOALS.slowShare * 100} % over 33 ms`,
              met(slow33 < GOALS.slowShare),
            ],
            [
              'scrollbar jumps (10): time to the lines, max',
              `**${Math.max(...jumps).toFixed(0)} ms** (median ${quantile(jumps, 0.5).toFixed(0)})`,
              `≤ ${GOALS.jump} ms`,
              met(Math.max(...jumps) <= GOALS.jump),
            ],
            [
              'JS heap afterwards (after GC)',
              `${heap.toFixed(1)} MB`,
              `≤ ${GOALS.heapMb} MB`,
              met(heap <= GOALS.heapMb),
            ],
          ],
        ),
      ].join('\n');
    } finally {
      await browser.close();
    }
  },
};
