/**
 * A real Prefect UI build against Sightline in headless Chromium: the runs list, a run page (its
 * graph drawn, its logs shown) and the event feed load with no console error and no failed
 * request. Runs where a build is found: `SIGHTLINE_TEST_PREFECT_UI` (a build folder), else the one
 * of the Prefect installed for `python3` (`--prefect-ui auto`); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { locatePrefectUi } from '../../src/api/prefect-ui/locate.ts';
import { chromiumMissing, eventually, launch, watch } from '../helpers/browser.ts';
import { engines } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const build = process.env.SIGHTLINE_TEST_PREFECT_UI ?? locatePrefectUi().dir;
const skip =
  build === undefined ? 'no Prefect UI build (set SIGHTLINE_TEST_PREFECT_UI or install prefect)' : chromiumMissing();

describe('a real Prefect UI in Chromium', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let ui: string;
  let runId: string;

  before(async () => {
    s = await startServer(engines[0], { 'prefect-ui': build! });
    ui = `${(await s.listen()).replace(/\/api$/, '')}/prefect`;
    const c = new RunClient(s);
    const flow = await c.flow('etl-browser');
    const run = await c.run(flow.id, { name: 'browser-otter' });
    runId = run.id;
    await c.setState(run.id, 'RUNNING');
    const task = (key: string, inputs: object = {}) =>
      c.call(
        'POST',
        '/task_runs/',
        { flow_run_id: run.id, task_key: key, dynamic_key: '0', name: `${key}-0`, task_inputs: inputs },
        201,
      );
    const extract = await task('extract');
    const load = await task('load', { rows: [{ input_type: 'task_run', id: extract.id }] });
    for (const t of [extract, load]) {
      await c.setState(t.id, 'RUNNING', {}, false, 'task_runs');
      await c.setState(t.id, 'COMPLETED', {}, false, 'task_runs');
    }
    const logs = ['extracted 3 rows', 'loaded 3 rows'].map((message, i) => ({
      name: 'prefect.flow_runs',
      level: 20,
      message,
      timestamp: new Date(Date.now() + i).toISOString(),
      flow_run_id: run.id,
    }));
    assert.equal((await s.request('POST', s.oss('/logs/'), logs)).statusCode, 201);
    await c.setState(run.id, 'COMPLETED');
    // The event feed asks for events until the start of the current minute, so this one is older.
    const event = {
      id: randomUUID(),
      occurred: new Date(Date.now() - 120_000).toISOString(),
      event: 'etl.rows.loaded',
      resource: { 'prefect.resource.id': `prefect.flow-run.${run.id}`, 'prefect.resource.name': 'browser-otter' },
    };
    assert.equal((await s.request('POST', s.oss('/events'), [event])).statusCode, 204);
    browser = await launch();
    page = await browser.newPage();
    problems = watch(page, new URL(ui).origin);
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const shows = (t: string, what: string) =>
    eventually(async () => assert.ok((await page.locator('body').innerText()).includes(t), what), 60_000);

  it('shows the runs list', async () => {
    await page.goto(`${ui}/runs`);
    await shows('browser-otter', 'the run in the runs list');
    assert.deepEqual(problems, []);
  });

  it('shows a run page with its graph and logs', async () => {
    await page.goto(`${ui}/runs/flow-run/${runId}`);
    await shows('loaded 3 rows', 'the run’s logs');
    await eventually(async () =>
      assert.ok(
        await page
          .locator('canvas')
          .evaluateAll((cs) => cs.some((c) => (c as Json).width > 0 && (c as Json).height > 0)),
        'the graph',
      ),
    );
    assert.equal(await page.getByText('Failed to load graph').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('shows the event feed', async () => {
    await page.goto(`${ui}/events`);
    await shows('etl.rows.loaded', 'the run’s event');
    assert.deepEqual(problems, []);
  });
});
