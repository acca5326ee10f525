/**
 * A real Prefect UI build against Sightline in headless Chromium: the runs list, a run page (its
 * graph drawn, its logs shown) and the event feed load with no console error and no failed
 * request. Runs where a build is found: `SIGHTLINE_TEST_PREFECT_UI` (a build folder), else the one
 * of the Prefect installed for `python3` (`--prefect-ui auto`); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { locatePrefectUi } from '../../src/api/prefect-ui/locate.ts';
import { Browser, chromiumMissing } from '../helpers/chromium.ts';
import { engines } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const build = process.env.SIGHTLINE_TEST_PREFECT_UI ?? locatePrefectUi().dir;
const skip =
  build === undefined ? 'no Prefect UI build (set SIGHTLINE_TEST_PREFECT_UI or install prefect)' : chromiumMissing();

describe('a real Prefect UI in Chromium', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
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
    browser = await Browser.launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const text = (t: string) => `document.body.innerText.includes(${JSON.stringify(t)})`;
  // Chromium asks the origin for /favicon.ico on its own; the origin's root is Sightline's, not the UI's.
  const problems = () => browser.problems.filter((p) => !/\/favicon\.ico\b/.test(p) || p.includes('/prefect/'));

  it('shows the runs list', async () => {
    await browser.goto(`${ui}/runs`);
    await browser.until(text('browser-otter'), 'the run in the runs list');
    assert.deepEqual(problems(), []);
  });

  it('shows a run page with its graph and logs', async () => {
    await browser.goto(`${ui}/runs/flow-run/${runId}`);
    await browser.until(text('loaded 3 rows'), 'the run’s logs');
    await browser.until(
      `[...document.querySelectorAll('canvas')].some((c) => c.width > 0 && c.height > 0)`,
      'the graph',
    );
    assert.equal(await browser.evaluate<boolean>(text('Failed to load graph')), false);
    assert.deepEqual(problems(), []);
  });

  it('shows the event feed', async () => {
    await browser.goto(`${ui}/events`);
    await browser.until(text('etl.rows.loaded'), 'the run’s event');
    assert.deepEqual(problems(), []);
  });
});
