/**
 * The web UI end to end in headless Chromium against `sightline serve --port 0` on seeded data:
 * the runs list and its filters, the run page, the log viewer (counts, filters, ANSI and links,
 * jumps into a 100k-line run, deep links, live tail, downloads), no request leaving the server's
 * origin, no console error, and axe-core's serious and critical rules. SQLite in full;
 * PostgreSQL a smoke test of both pages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launch, uiUnavailable, watch } from '../helpers/browser.ts';
import { engines } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { startServer } from '../helpers/server.ts';
import { axeViolations, startUi, type UiServer } from './harness.ts';
import { levelOf, type Seeded, seed } from './seed.ts';

type Json = any;
const LINES = 100_000;
const skip = uiUnavailable();

const rowsText = (page: Page) => page.locator('.log-row:not(.placeholder) .log-message').allTextContents();

describe('web UI under --auth', { skip: skip ?? engines[0].unavailable }, () => {
  it('loads its files without a key, asks for one on the API’s 401, then shows the runs', async () => {
    const s = await startServer(engines[0], { auth: 'true' });
    const origin = new URL(await s.listen()).origin;
    const key = await makeKey(s, 'read');
    const write = await makeKey(s, 'write');
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const problems = watch(page, origin, (_url, status) => status === 401);
      await page.goto(`${origin}/runs`);
      await page.getByRole('textbox', { name: 'API key' }).fill(key.secret);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await eventually(async () => assert.match(await page.locator('.count').innerText(), /^0 runs/));
      // A read key sees no retry or stop.
      const flow = await s.request('POST', s.oss('/flows/'), { name: 'f' }, write.bearer);
      const run = await s.request('POST', s.oss('/flow_runs/'), { flow_id: flow.json().id }, write.bearer);
      await page.goto(`${origin}/runs/${run.json().id}`);
      await eventually(async () => assert.equal(await page.locator('.run-header h1').count(), 1));
      assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await s.close();
    }
  });
});

for (const engine of engines) {
  const full = engine.name === 'sqlite';
  describe(`web UI [${engine.name}]`, { skip: skip ?? engine.unavailable }, () => {
    let server: UiServer;
    let origin: string;
    let api: string;
    let call: UiServer['call'];
    let browser: Browser;
    let data: Seeded;
    let page: Page;
    let problems: string[];

    before(async () => {
      server = await startUi(await engine.newDatabaseUrl());
      ({ origin, api, call } = server);
      data = await seed(api, { lines: full ? LINES : 2_000 });
      browser = await launch();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      problems = watch(page, origin);
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('lists the top-level runs of the window, newest first, with warning and error counts', async () => {
      await page.goto(`${origin}/`);
      const count = await call('POST', '/flow_runs/count', { flow_runs: { parent_task_run_id: { is_null_: true } } });
      await eventually(async () =>
        assert.match(await page.locator('.count').innerText(), new RegExp(`^${count} runs`)),
      );
      const big = page.locator('.runs-table .row', { hasText: 'big-run' });
      let [warnings, errors] = [0, 0];
      for (let i = 0; i < data.big.lines; i++) {
        if (levelOf(i) >= 40) errors++;
        else if (levelOf(i) >= 30) warnings++;
      }
      await eventually(async () => assert.equal(await big.locator('.counts').innerText(), `${warnings} / ${errors}`));
      assert.equal(await page.locator('.runs-table .row', { hasText: 'child-run' }).count(), 0, 'subflows are hidden');
      assert.equal(await page.title(), 'Runs · Sightline');
    });

    it('filters by state, flow, name and subflows as the API does, and keeps them in the URL', {
      skip: !full,
    }, async () => {
      await page.locator('label.chip', { hasText: 'failed' }).click();
      const failed = await call('POST', '/flow_runs/filter', {
        flow_runs: { state: { type: { any_: ['FAILED'] } }, parent_task_run_id: { is_null_: true } },
        sort: 'EXPECTED_START_TIME_DESC',
      });
      await eventually(async () =>
        assert.deepEqual(
          await page.locator('.runs-table .row:not(.head) a').allInnerTexts(),
          failed.map((r: Json) => r.name),
        ),
      );
      assert.match(page.url(), /state=FAILED/);
      await page.reload();
      await eventually(async () =>
        assert.equal(await page.locator('.runs-table .row:not(.head) a').count(), failed.length),
      );

      await page.goto(`${origin}/runs?name=big&subflows=1`);
      await eventually(async () =>
        assert.deepEqual(await page.locator('.runs-table .row:not(.head) a').allInnerTexts(), ['big-run']),
      );
      await page.goto(`${origin}/runs?subflows=1&flow=${data.flows.report.id}`);
      const reports = await call('POST', '/flow_runs/count', { flows: { id: { any_: [data.flows.report.id] } } });
      await eventually(async () => assert.equal(await page.locator('.runs-table .row:not(.head) a').count(), reports));
      assert.ok(await page.locator('.runs-table .row', { hasText: 'child-run' }).count());
    });

    it('shows a new run without a reload (flow-run events over /events/out)', { skip: !full }, async () => {
      await page.goto(`${origin}/runs`);
      await eventually(async () => assert.ok(await page.locator('.runs-table .row:not(.head) a').count()));
      const run = await call('POST', '/flow_runs/', { flow_id: data.flows.report.id, name: 'arrived-live' });
      await call('POST', `/flow_runs/${run.id}/set_state`, { state: { type: 'RUNNING' }, force: true });
      await eventually(async () =>
        assert.equal(await page.locator('.runs-table .row', { hasText: 'arrived-live' }).count(), 1),
      );
    });

    it('shows a run: its title, state, task runs grouped by task, subflows', async () => {
      await page.goto(`${origin}/runs/${data.big.run.id}`);
      await eventually(async () => assert.equal(await page.title(), 'big-run · etl-nightly · Sightline'));
      assert.equal(await page.locator('.run-header .state').innerText(), 'Completed');
      await page.getByRole('button', { name: /Task runs/ }).click();
      await eventually(async () =>
        assert.match(await page.locator('.group-head').innerText(), /transform × 2: 2 completed/),
      );
      await page.getByRole('button', { name: /Subflows/ }).click();
      await eventually(async () => assert.equal(await page.locator('.subflows a').innerText(), 'child-run'));
    });

    it('counts the run’s logs per level as the API does and draws ANSI colours, links and folded tracebacks', async () => {
      await page.goto(`${origin}/runs/${data.big.run.id}`);
      const histo = await call('POST', `/sightline/flow_runs/${data.big.run.id}/log-histogram`, {});
      const expected = { debug: 0, info: 0, warning: 0, error: 0, critical: 0 };
      for (let i = 0; i < data.big.lines; i++) {
        const l = levelOf(i);
        if (l >= 40) expected.error++;
        else if (l >= 30) expected.warning++;
        else if (l >= 20) expected.info++;
        else expected.debug++;
      }
      assert.deepEqual(histo.totals, expected);
      await eventually(async () =>
        assert.equal(
          await page.locator('.level-count.lvl-error b').innerText(),
          expected.error.toLocaleString('en-US'),
        ),
      );
      const bars = await page.locator('.log-viewer .histogram-bar').count();
      assert.equal(bars, histo.buckets.length);
      assert.equal(await page.locator('.log-message .ansi-fg1').first().innerText(), 'red alert');
      assert.equal(await page.locator('.log-message .ansi-bold.ansi-fg2').first().innerText(), 'bold green');
      assert.equal(
        await page.locator('.log-message a[href="https://docs.prefect.io/v3/concepts"]').getAttribute('rel'),
        'noopener noreferrer',
      );
    });

    it('filters logs by level, task and text over the whole run', { skip: !full }, async () => {
      await page.goto(`${origin}/runs/${data.big.run.id}?level=40`);
      await eventually(async () => {
        const levels = await page.locator('.log-row:not(.placeholder) .log-level').allInnerTexts();
        assert.ok(levels.length > 10);
        assert.deepEqual([...new Set(levels)], ['ERROR']);
      });
      const traceback = page.locator('.log-row', { hasText: 'Traceback' }).first();
      assert.equal(await traceback.locator('.fold').innerText(), '+2 lines');
      await traceback.locator('.fold').click();
      await eventually(async () =>
        assert.match(await traceback.locator('.log-message').innerText(), /ValueError: bad row/),
      );

      await page.goto(`${origin}/runs/${data.big.run.id}?task=${data.big.tasks[2].id}`);
      await eventually(async () => {
        const tasks = await page.locator('.log-row:not(.placeholder) .log-task').allInnerTexts();
        assert.ok(tasks.length > 10);
        assert.deepEqual([...new Set(tasks)], ['transform-1']);
      });

      await page.goto(`${origin}/runs/${data.big.run.id}?q=${encodeURIComponent('"line 7777 of"')}`);
      await eventually(async () => {
        const rows = await rowsText(page);
        assert.deepEqual(
          rows.filter((r) => r.trim()),
          ['line 7777 of the big run'],
        );
        assert.equal(await page.locator('.log-message mark').first().innerText(), 'line 7777 of');
      });
      // "only matches" off: every line stays, the matches marked.
      await page.getByLabel('only matches').uncheck();
      await eventually(async () => {
        assert.match(page.url(), /all=1/);
        assert.ok((await rowsText(page)).includes('line 1 of the big run'));
        assert.equal(await page.locator('.log-message mark').count(), 0, 'no match among the first lines');
      });
    });

    it('shows line 50,001 after a jump to the middle of a 100k-line run, and opens a line’s own link', {
      skip: !full,
    }, async () => {
      await page.goto(`${origin}/runs/${data.big.run.id}`);
      await eventually(async () => assert.ok((await rowsText(page)).length > 5));
      await page.locator('.log-scroll').evaluate((el) => {
        el.scrollTop = 50_000 * 22;
      });
      await eventually(async () => {
        const rows = await rowsText(page);
        assert.ok(rows.includes('line 50001 of the big run'), rows.slice(0, 3).join(' | '));
      }, 10_000);

      const [target] = await call('POST', `/sightline/flow_runs/${data.big.run.id}/logs`, { offset: 73_455, limit: 1 });
      assert.equal(target.message, 'line 73456 of the big run');
      await page.goto(`${origin}/runs/${data.big.run.id}#log-${target.id}`);
      await eventually(async () => {
        const row = page.locator(`#log-${target.id}`);
        assert.equal(await row.getAttribute('class').then((c) => c?.includes('focused')), true);
        assert.ok(await row.isVisible());
      });

      await page.getByRole('button', { name: 'First error' }).click();
      await eventually(async () => assert.ok((await rowsText(page)).some((t) => t.startsWith('Traceback'))));
    });

    it('tails a running run live, in order without duplicates; pauses when scrolled up and offers the jump', {
      skip: !full,
    }, async () => {
      const run = await call('POST', '/flow_runs/', { flow_id: data.flows.etl.id, name: 'live-run' });
      await call('POST', `/flow_runs/${run.id}/set_state`, { state: { type: 'RUNNING' }, force: true });
      const post = (from: number, n: number) =>
        call(
          'POST',
          '/logs/',
          Array.from({ length: n }, (_, k) => ({
            name: 'live',
            level: 20,
            message: `live ${from + k}`,
            timestamp: new Date(Date.now() + k).toISOString(),
            flow_run_id: run.id,
          })),
        );
      await post(0, 5);
      await page.goto(`${origin}/runs/${run.id}`);
      await eventually(async () => assert.equal((await rowsText(page)).length, 5));
      // Logs committed once the tail is subscribed arrive live.
      await page.locator('.log-viewer[data-live="on"]').waitFor({ timeout: 30_000 });
      await post(5, 40);
      await eventually(async () => {
        const rows = (await rowsText(page)).map((t) => Number(t.split(' ')[1]));
        assert.equal(rows[rows.length - 1], 44);
        assert.equal(new Set(rows).size, rows.length, 'no duplicates');
        assert.deepEqual(
          rows,
          [...rows].sort((a, b) => a - b),
          'in order',
        );
      });
      await page.locator('.log-scroll').evaluate((el) => {
        el.scrollTop = 0;
        el.dispatchEvent(new Event('scroll'));
      });
      await post(45, 3);
      const jump = page.locator('.jump-latest');
      await eventually(async () => assert.equal(await jump.innerText(), 'Jump to latest (3 new)'));
      await jump.click();
      await eventually(async () => assert.ok((await rowsText(page)).includes('live 47')));
    });

    it('downloads the same CSV as the API', { skip: !full }, async () => {
      await page.goto(`${origin}/runs/${data.subflow.id}`);
      await call('POST', '/logs/', [
        {
          name: 'x',
          level: 20,
          message: 'a,"quoted"',
          timestamp: new Date().toISOString(),
          flow_run_id: data.subflow.id,
        },
      ]);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ]);
      const file = readFileSync((await download.path())!, 'utf8');
      const direct = await (await fetch(`${api}/flow_runs/${data.subflow.id}/logs/download`)).text();
      assert.equal(file, direct);
    });

    it('passes axe-core’s serious and critical rules on both pages', { skip: !full }, async () => {
      const ctx = await browser.newContext({ bypassCSP: true });
      const p = await ctx.newPage();
      for (const url of [`${origin}/runs`, `${origin}/runs/${data.big.run.id}`]) {
        await p.goto(url);
        await eventually(async () => assert.ok(await p.locator('.row:not(.head), .log-row').count()));
        assert.deepEqual(await axeViolations(p), [], url);
      }
      await ctx.close();
    });

    it('made no request to another origin, no failed request and no console error', async () => {
      assert.deepEqual(problems, []);
    });
  });
}
