/**
 * The web UI's trace waterfall and events page in headless Chromium, on both engines (PostgreSQL:
 * the recorded trace and the events chart): the recorded subflow-failure trace (rows, depths, the
 * failed path), collapse and expand by mouse and keyboard, zoom, the critical path of a trace with
 * a known answer, the state changes marked on the bars (where the time axis puts them) and listed
 * with their messages in the side panel, the panel's log viewer scoped to its span, the events
 * chart against count-by, paging and live mode without duplicates, a keyboard-only walk, the theme
 * kept across reloads, and axe-core on both pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launch, uiUnavailable, watch } from '../helpers/browser.ts';
import { engines } from '../helpers/engines.ts';
import { loadTranscript, replay } from '../helpers/replay.ts';
import { axeViolations, startUi, type UiServer } from './harness.ts';
import { seed } from './seed.ts';

type Json = any;
const skip = uiUnavailable();

for (const engine of engines) {
  const full = engine.name === 'sqlite';
  describe(`web UI trace and events [${engine.name}]`, { skip: skip ?? engine.unavailable }, () => {
    let server: UiServer;
    let origin: string;
    let api: string;
    let call: UiServer['call'];
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let parent: Json;
    const rowNames = async () =>
      (await page.locator('.trace-row .trace-name').allInnerTexts()).map((t) => t.replace(/^[▸▾]?\s*●?\s*/, '').trim());

    before(async () => {
      server = await startUi(await engine.newDatabaseUrl());
      ({ origin, api, call } = server);
      // On time: the states the client reports and those the server stamps share one clock.
      await replay(loadTranscript('subflow-failure'), origin, { onTime: true });
      const [flow] = await call('POST', '/flows/filter', { flows: { name: { any_: ['etl-parent'] } } });
      [parent] = await call('POST', '/flow_runs/filter', { flows: { id: { any_: [flow.id] } } });
      await seed(api, { lines: 100, runs: 30 });
      browser = await launch();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      problems = watch(page, origin);
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('draws the recorded subflow failure: rows, depths and the failed path; expands and collapses', async () => {
      await page.goto(`${origin}/runs/${parent.id}/trace`);
      await eventually(async () => assert.ok((await rowNames()).length >= 2));
      const levels = await page
        .locator('.trace-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-level')));
      assert.deepEqual(levels.slice(0, 2), ['1', '2']);
      const names = await rowNames();
      assert.match(names[1], /^etl-subflow-0/);
      // The failure runs from the parent through the tracking task into the subflow.
      assert.equal(await page.locator('.trace-row.failing').count(), 2);
      await page.locator('.trace-row', { hasText: 'etl-subflow-0' }).getByRole('button', { name: 'Expand' }).click();
      await eventually(async () => assert.equal(await page.locator('.trace-row').count(), 3));
      assert.equal(await page.locator('.trace-row').nth(2).getAttribute('aria-level'), '3');
      assert.equal(await page.locator('.trace-row.failing').count(), 3, 'the failed subflow joins the path');
      // Keyboard: focus the grid, go to the task, ← collapses, → expands again.
      await page.locator('[role="treegrid"]').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowLeft');
      await eventually(async () => assert.equal(await page.locator('.trace-row').count(), 2));
      await page.keyboard.press('ArrowRight');
      await eventually(async () => assert.equal(await page.locator('.trace-row').count(), 3));
      await page.keyboard.press('Enter');
      await eventually(async () => assert.match(await page.locator('.side-panel h2').innerText(), /etl-subflow-0/));
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('.side-panel').count(), 0);
    });

    it('zooms to a range dragged on the minimap, and back', { skip: !full }, async () => {
      const label = () => page.locator('.trace-actions .muted').innerText();
      const before = await label();
      const box = (await page.locator('.minimap').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.1, box.y + 10);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + 10, { steps: 5 });
      await page.mouse.up();
      await eventually(async () => assert.notEqual(await label(), before));
      await page.getByRole('button', { name: 'Whole trace' }).click();
      await eventually(async () => assert.equal(await label(), before));
    });

    /** Each row's markers as `{span, names, types, left (%)}`, in row order. */
    const markers = () =>
      page.locator('.trace-row[data-span]').evaluateAll((rows) =>
        rows.map((r) => {
          const marks = [...r.querySelectorAll('.state-mark')] as Json[];
          return {
            span: r.getAttribute('data-span')!,
            names: marks.map((m) => m.getAttribute('title').split(' · ')[0]),
            types: marks.map((m) => /bar-(\w+)/.exec(m.className)![1].toUpperCase()),
            left: marks.map((m) => Number.parseFloat(m.style.left)),
          };
        }),
      );
    const historyOf = (span: Json) =>
      call(
        'GET',
        span.span_type === 'flow-run'
          ? `/flow_run_states/?flow_run_id=${span.span_id}`
          : `/task_run_states/?task_run_id=${span.span_id}`,
      );

    it('marks every state change on the recorded trace’s bars where the time axis puts it', async () => {
      await page.goto(`${origin}/runs/${parent.id}/trace`);
      await page.getByRole('button', { name: 'Expand all' }).click();
      await eventually(async () => assert.equal(await page.locator('.trace-row').count(), 5));
      const { trace_id } = await call('GET', `/spans/lookup/${parent.id}`);
      const { spans } = await call('GET', `/traces/${trace_id}?limit=100`);
      assert.equal(spans.length, 5);
      // The axis runs from the first start to the last end (every span of this trace has ended).
      const from = Math.min(...spans.map((s: Json) => Date.parse(s.start_time)));
      const to = Math.max(...spans.map((s: Json) => Date.parse(s.end_time)));
      const expected: { span: string; names: string[]; types: string[]; left: number[] }[] = [];
      for (const span of spans) {
        const drawn = (await historyOf(span))
          .map((h: Json) => ({ ...h, at: ((Date.parse(h.timestamp) - from) / (to - from)) * 100 }))
          .filter((h: Json) => h.at >= 0 && h.at <= 100);
        expected.push({
          span: span.span_id,
          names: drawn.map((h: Json) => h.name),
          types: drawn.map((h: Json) => h.type),
          left: drawn.map((h: Json) => h.at),
        });
      }
      const order = (a: { span: string }, b: { span: string }) => (a.span < b.span ? -1 : 1);
      let seen: Json[] = [];
      await eventually(async () => {
        seen = (await markers()).sort(order);
        assert.deepEqual(
          seen.map(({ left: _, ...m }) => m),
          expected.sort(order).map(({ left: _, ...m }) => m),
        );
      });
      for (const [i, row] of seen.entries())
        for (const [k, left] of row.left.entries())
          assert.ok(Math.abs(left - expected[i].left[k]) < 0.01, `${row.names[k]}: ${left}% ≠ ${expected[i].left[k]}%`);
      // Parent and subflow: Pending, Running, Failed; the tracking task mirrors the subflow after its
      // own Pending. The tasks' Pending precedes the axis only when it precedes every start.
      assert.ok(seen.reduce((n, r) => n + r.names.length, 0) >= 14);
      assert.ok(seen.some((r) => r.types.join() === 'PENDING,RUNNING,FAILED'));
    });

    it('lists a span’s state history with its messages, and shows only its logs in the panel', async () => {
      const { trace_id } = await call('GET', `/spans/lookup/${parent.id}`);
      const { spans } = await call('GET', `/traces/${trace_id}?limit=100`);
      const subflow = spans.find((s: Json) => s.span_type === 'flow-run' && s.parent_span_id);
      const task = spans.find((s: Json) => s.name.startsWith('validate_rows'));
      const panelLines = async () =>
        (await page.locator('.side-panel .log-row .log-message').allInnerTexts()).map((t) =>
          t.replace(/\s*\+\d+ lines$/, ''),
        );
      const logsOf = async (filter: Json) =>
        (await call('POST', '/logs/filter', { logs: filter, sort: 'TIMESTAMP_ASC', limit: 200 })).map(
          (l: Json) => l.message.split('\n')[0],
        );

      for (const span of [subflow, task]) {
        await page.locator(`.trace-row[data-span="${span.span_id}"]`).click();
        await eventually(async () =>
          assert.match(await page.locator('.side-panel h2').innerText(), new RegExp(span.name)),
        );
        const history = await historyOf(span);
        const items = page.locator('.side-panel .state-history li');
        await eventually(async () => assert.equal(await items.count(), history.length));
        for (const [i, h] of history.entries()) {
          const text = await items.nth(i).innerText();
          assert.ok(text.startsWith(h.name), text);
          if (h.message) assert.ok(text.includes(h.message), `${text} lacks “${h.message}”`);
        }
        assert.ok(history.at(-1).message, 'the failure carries its message');
      }

      // The task's panel: its own lines, none of its sibling's or its flow run's.
      const mine = await logsOf({ task_run_id: { any_: [task.span_id] } });
      assert.ok(mine.length >= 3 && mine.some((m: string) => /validate_rows/.test(m)));
      await eventually(async () => assert.deepEqual(await panelLines(), mine));
      const link = page.locator('.side-panel a', { hasText: 'open full size' });
      assert.equal(await link.getAttribute('href'), `/runs/${subflow.span_id}?task=${task.span_id}`);
      // Within the panel the level filter narrows the task's lines.
      await page.locator('.side-panel').getByLabel('Level').selectOption('40');
      const errors = await logsOf({ task_run_id: { any_: [task.span_id] }, level: { ge_: 40 } });
      assert.ok(errors.length > 0 && errors.length < mine.length);
      await eventually(async () => assert.deepEqual(await panelLines(), errors));
      assert.equal(new URL(page.url()).searchParams.get('level'), null, 'the panel keeps its choices off the URL');

      // The subflow's panel: every line of that flow run, its tasks' included.
      await page.locator(`.trace-row[data-span="${subflow.span_id}"]`).click();
      const all = await logsOf({ flow_run_id: { any_: [subflow.span_id] } });
      await eventually(async () => assert.deepEqual(await panelLines(), all));

      // Full size: the run's Logs tab, filtered to the task.
      await page.locator(`.trace-row[data-span="${task.span_id}"]`).click();
      await page.locator('.side-panel a', { hasText: 'open full size' }).click();
      await eventually(async () => assert.equal(new URL(page.url()).pathname, `/runs/${subflow.span_id}`));
      await eventually(async () =>
        assert.equal(await page.locator('.log-viewer:not(.embedded) .log-row:not(.placeholder)').count(), mine.length),
      );
    });

    it('marks the critical path: the chain of spans that ended last', { skip: !full }, async () => {
      const flow = await call('POST', '/flows/', { name: 'critical' });
      const run = await call('POST', '/flow_runs/', { flow_id: flow.id, name: 'crit-run' });
      const set = (id: string, type: string, kind = 'task_runs') =>
        call('POST', `/${kind}/${id}/set_state`, { state: { type }, force: true });
      await set(run.id, 'RUNNING', 'flow_runs');
      const task = (key: string) =>
        call('POST', '/task_runs/', {
          flow_run_id: run.id,
          task_key: key,
          dynamic_key: '0',
          name: `${key}-x`,
          state: { type: 'PENDING' },
        });
      const [a, b, c] = [await task('a'), await task('b'), await task('c')];
      await set(a.id, 'RUNNING');
      await set(b.id, 'RUNNING');
      await set(a.id, 'COMPLETED');
      await set(c.id, 'RUNNING');
      await set(c.id, 'COMPLETED');
      await set(b.id, 'COMPLETED'); // b ends last: the run waited on b
      await set(run.id, 'COMPLETED', 'flow_runs');
      await page.goto(`${origin}/runs/${run.id}/trace`);
      await eventually(async () => assert.equal(await page.locator('.trace-row').count(), 4));
      assert.equal(await page.locator('.trace-row.critical').count(), 0);
      await page.getByLabel('critical path').check();
      await eventually(async () =>
        assert.deepEqual(
          (await page.locator('.trace-row.critical .trace-name').allInnerTexts()).map((t) =>
            t.replace(/^[▸▾]?\s*●?\s*/, '').trim(),
          ),
          ['crit-run', 'b-x'],
        ),
      );
    });

    it('puts a retried task’s markers at its bar’s ends and in the colours of its states', {
      skip: !full,
    }, async () => {
      const flow = await call('POST', '/flows/', { name: 'retried' });
      const run = await call('POST', '/flow_runs/', { flow_id: flow.id, name: 'retried-run' });
      const set = (id: string, type: string, name?: string, kind = 'task_runs') =>
        call('POST', `/${kind}/${id}/set_state`, { state: { type, name }, force: true });
      await set(run.id, 'RUNNING', undefined, 'flow_runs');
      const task = await call('POST', '/task_runs/', {
        flow_run_id: run.id,
        task_key: 'flaky',
        dynamic_key: '0',
        name: 'flaky-0',
        state: { type: 'PENDING' },
      });
      await set(task.id, 'RUNNING');
      await set(task.id, 'SCHEDULED', 'AwaitingRetry');
      await set(task.id, 'RUNNING', 'Retrying');
      await set(task.id, 'FAILED');
      // A task retried 30 times: 62 states, of which the bar marks the latest 50.
      const flappy = await call('POST', '/task_runs/', {
        flow_run_id: run.id,
        task_key: 'flappy',
        dynamic_key: '0',
        name: 'flappy-0',
        state: { type: 'PENDING' },
      });
      for (let i = 0; i < 30; i++) {
        await set(flappy.id, 'RUNNING');
        await set(flappy.id, 'SCHEDULED', 'AwaitingRetry');
      }
      await set(flappy.id, 'FAILED');
      await set(run.id, 'FAILED', undefined, 'flow_runs');
      await page.goto(`${origin}/runs/${run.id}/trace`);
      const row = page.locator(`.trace-row[data-span="${task.id}"]`);
      await eventually(async () => assert.equal(await row.locator('.state-mark').count(), 5));
      assert.deepEqual(
        await row.locator('.state-mark').evaluateAll((ms) => ms.map((m) => m.className.replace('state-mark ', ''))),
        ['bar-pending', 'bar-running', 'bar-scheduled', 'bar-running', 'bar-failed'],
      );
      const centre = async (i: number) => {
        const b = (await row.locator('.state-mark').nth(i).boundingBox())!;
        return b.x + b.width / 2;
      };
      const bar = (await row.locator('.trace-bar').boundingBox())!;
      // The bar runs from the first Running to Failed; Pending comes before it.
      assert.ok(Math.abs((await centre(1)) - bar.x) <= 1.5, `Running at ${await centre(1)}, bar from ${bar.x}`);
      assert.ok(Math.abs((await centre(4)) - (bar.x + bar.width)) <= 1.5, 'Failed at the bar’s end');
      const xs = [0, 1, 2, 3, 4].map(centre);
      const at = await Promise.all(xs);
      assert.deepEqual(
        at,
        [...at].sort((a, b) => a - b),
        'in time order',
      );
      assert.match((await row.locator('.state-mark').nth(2).getAttribute('title')) ?? '', /^AwaitingRetry · /);
      const many = page.locator(`.trace-row[data-span="${flappy.id}"]`);
      await eventually(async () => assert.equal(await many.locator('.state-mark').count(), 50));
      assert.match((await many.locator('.trace-bar').getAttribute('title')) ?? '', /· 12 earlier states not marked$/);
    });

    it('charts events per bucket as count-by says, pages without duplicates and shows live ones', async () => {
      const to = new Date(Date.now() + 60_000);
      const from = new Date(to.getTime() - 3600_000);
      await page.goto(`${origin}/events?from=${from.toISOString()}&to=${to.toISOString()}`);
      const counts = await call('POST', '/events/count-by/time', {
        filter: { occurred: { since: from.toISOString(), until: to.toISOString() } },
        time_unit: 'minute',
        time_interval: 1,
      });
      await eventually(async () => {
        const drawn = await page
          .locator('.events-page .histogram-bar')
          .evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-total'))));
        assert.deepEqual(
          drawn,
          counts.map((c: Json) => c.count),
        );
      });
      const total = counts.reduce((n: number, c: Json) => n + c.count, 0);
      assert.ok(total > 25, `${total} events`);
      await page.getByLabel('Per page').selectOption('25');
      await eventually(async () => assert.equal(await page.locator('.event-list li').count(), 25));
      await page.getByRole('button', { name: 'More events' }).click();
      await eventually(async () => assert.equal(await page.locator('.event-list li').count(), Math.min(50, total)));
      const ids = await page.locator('.event-list .event-time').allInnerTexts();
      assert.equal(ids.length, Math.min(50, total));

      await page.goto(`${origin}/events?live=1`);
      await eventually(async () => assert.ok(await page.locator('.event-list li').count()));
      const flow = await call('POST', '/flows/', { name: 'live-events' });
      await call('POST', '/flow_runs/', { flow_id: flow.id, name: 'live-events-run' });
      const pill = page.locator('.pill');
      await eventually(async () => assert.match(await pill.innerText(), /new event/));
      await pill.click();
      await eventually(async () =>
        assert.ok(await page.locator('.event-list li', { hasText: 'live-events-run' }).count()),
      );
    });

    it('walks every page by keyboard alone and keeps the theme across reloads', { skip: !full }, async () => {
      await page.goto(`${origin}/runs`);
      await eventually(async () => assert.ok(await page.locator('[data-row]').count()));
      await page.keyboard.press('g');
      await page.keyboard.press('e');
      await eventually(async () => assert.equal(new URL(page.url()).pathname, '/events'));
      await page.keyboard.press('/');
      assert.equal(
        await page.evaluate(() => (globalThis as Json).document.activeElement?.getAttribute('type')),
        'search',
      );
      await page.keyboard.press('Escape');
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      await page.keyboard.press('g');
      await page.keyboard.press('r');
      await eventually(async () => assert.equal(new URL(page.url()).pathname, '/runs'));
      await eventually(async () => assert.ok(await page.locator('[data-row]').count()));
      await page.keyboard.press('j');
      const name = await page.evaluate(() => (globalThis as Json).document.activeElement?.textContent);
      await page.keyboard.press('Enter');
      await eventually(async () => assert.match(new URL(page.url()).pathname, /^\/runs\/[0-9a-f-]{36}$/));
      await eventually(async () =>
        assert.equal(
          await page
            .locator('.run-header h1')
            .innerText()
            .then((t) => t.split(/\s/)[0]),
          name?.trim(),
        ),
      );
      await page.keyboard.press('?');
      await eventually(async () => assert.equal(await page.getByRole('dialog', { name: 'Keyboard' }).count(), 1));
      await page.keyboard.press('Escape');

      const themeOf = () =>
        page.evaluate(() => (globalThis as Json).document.documentElement.getAttribute('data-theme'));
      assert.equal(await themeOf(), null, 'follows the system at first');
      await page.getByRole('button', { name: /^theme:/ }).click();
      assert.equal(await themeOf(), 'light');
      await page.getByRole('button', { name: /^theme:/ }).click();
      assert.equal(await themeOf(), 'dark');
      await page.reload();
      await eventually(async () => assert.equal(await themeOf(), 'dark'));
      await page.getByRole('button', { name: /^theme:/ }).click();
      assert.equal(await themeOf(), null);
    });

    it('passes axe-core’s serious and critical rules on the trace (span panel open) and events pages, both themes', {
      skip: !full,
    }, async () => {
      const ctx = await browser.newContext({ bypassCSP: true });
      const p = await ctx.newPage();
      for (const scheme of ['light', 'dark'] as const) {
        await p.emulateMedia({ colorScheme: scheme });
        for (const url of [`${origin}/runs/${parent.id}/trace`, `${origin}/events`]) {
          await p.goto(url);
          await eventually(async () => assert.ok(await p.locator('.trace-row, .event-list li').count()));
          if (url.endsWith('/trace')) {
            // With the span panel open: its state history and its log viewer.
            await p.locator('.trace-row[data-span]').first().click();
            await p.locator('.side-panel .log-row:not(.placeholder)').first().waitFor({ timeout: 30_000 });
            await eventually(async () => assert.ok(await p.locator('.trace-row .state-mark').count()));
          }
          assert.deepEqual(await axeViolations(p), [], `${url} (${scheme})`);
        }
      }
      await ctx.close();
    });

    it('made no request to another origin, no failed request and no console error', () => {
      assert.deepEqual(problems, []);
    });
  });
}
