/**
 * `/api/docs` in a real browser (Debian's Chromium, driven by playwright-core): the page renders
 * the operations and a request body's schema, and asks no other host for anything. Skipped where
 * no Chromium is installed (test/api-docs.test.ts checks the same files over HTTP everywhere).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { chromiumMissing, launch } from './helpers/browser.ts';
import { forEngine } from './helpers/engines.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const DEADLINE_MS = 60_000;

forEngine('sqlite', 'API docs page in a browser', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine);
    api = await s.listen();
  });
  after(() => s.close());

  it('renders the operations and a request schema, loading nothing from another host', {
    skip: chromiumMissing(),
  }, async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const origin = new URL(api).origin;
      const elsewhere: string[] = [];
      const failed: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) elsewhere.push(r.url());
      });
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      });
      // A deep link opens the operation (Swagger UI draws tags as they scroll into view).
      await page.goto(`${origin}/api/docs#/Flow%20Runs/post_oss_flow_runs_filter`, { timeout: DEADLINE_MS });
      const operation = page.locator('#operations-Flow_Runs-post_oss_flow_runs_filter');
      await operation.locator('.opblock-summary-path', { hasText: '/api/flow_runs/filter' }).waitFor({
        timeout: DEADLINE_MS,
      });
      // The request body's schema, as Swagger UI draws it: its fields by name.
      await operation.locator('.model-box', { hasText: 'flow_runs' }).first().waitFor({ timeout: DEADLINE_MS });
      assert.deepEqual(elsewhere, [], 'nothing from another host');
      assert.deepEqual(failed, [], 'every file loaded');
    } finally {
      await browser.close();
    }
  });
});
