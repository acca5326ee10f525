/**
 * The agent tools on one very long run (issue 21): a million log lines on SQLite, 100,000 on
 * PostgreSQL, appended through the store's bulk path. Every tool stays within a 5,000-character
 * budget; `tail-logs` ends at the run's real last line and pages back without gap or repeat;
 * `search-logs` continues to its last hit.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid7 } from '../../src/domain/ids.ts';
import type { NewLog } from '../../src/domain/logs.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { client, KEY_ERROR, TRACEBACK } from './seed.ts';

const BUDGET = 5000;
const BATCH = 20_000;
type Json = any;

forEachEngine('agent tools on a very long run', (engine) => {
  const lines = engine.name === 'sqlite' ? 1_000_000 : 100_000;
  // Every 1000th line is a warning, but the last line is the error.
  const slow = lines / 1000 - 1;
  let s: TestServer;
  let url: string;
  let run: Json;
  let task: Json;

  before(async () => {
    s = await startServer(engine);
    url = await s.listen();
    const { call, state } = client(url);
    const flow = await call('POST', '/flows/', { name: 'bulk-load' });
    run = await call('POST', '/flow_runs/', { flow_id: flow.id, name: 'bulk-run' });
    await state('flow_runs', run.id, 'RUNNING');
    task = await call('POST', '/task_runs/', {
      flow_run_id: run.id,
      task_key: 'copy',
      dynamic_key: '0',
      name: 'copy-0',
    });
    await state('task_runs', task.id, 'RUNNING');
    const ws = s.workspaceId;
    const t0 = (Date.now() - 3_600_000) * 1000;
    for (let from = 0; from < lines; from += BATCH) {
      const batch: NewLog[] = [];
      for (let i = from; i < Math.min(lines, from + BATCH); i++) {
        const last = i === lines - 1;
        batch.push({
          id: uuid7(),
          created: t0 + i,
          workspaceId: ws,
          name: last ? 'prefect.task_runs' : 'etl.copy',
          level: last ? 40 : i % 1000 === 999 ? 30 : 20,
          message: last ? TRACEBACK : i % 1000 === 999 ? `batch ${i} was slow` : `copied row ${i}`,
          timestamp: t0 + i,
          flow_run_id: run.id,
          task_run_id: last ? task.id : null,
          worker_id: null,
        });
      }
      await s.app.store.logs.append(batch);
    }
    // In-process: the bulk append kept the event loop busy past the keep-alive of fetch's sockets.
    const fail = async (kind: string, id: string, message: string) =>
      assert.equal(
        (
          await s.request('POST', s.oss(`/${kind}/${id}/set_state`), {
            state: { type: 'FAILED', message },
            force: true,
          })
        ).statusCode,
        201,
      );
    await fail('task_runs', task.id, `Task run encountered an exception ${KEY_ERROR}`);
    await fail('flow_runs', run.id, '1/1 states failed.');
  });
  after(() => s.close());

  const route = async (name: string, body: Json): Promise<Json> => {
    const r = await fetch(`${url}/v1/agent/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, max_chars: BUDGET }),
    });
    const text = await r.text();
    assert.equal(r.status, 200, `${name}: ${text.slice(0, 300)}`);
    assert.ok(text.length <= BUDGET, `${name}: ${text.length} characters`);
    return JSON.parse(text);
  };

  it('keeps every tool within 5,000 characters', async () => {
    await route('find-flow-runs', {});
    const d = await route('diagnose-flow-run', { flow_run_id: run.id, context_lines: 20, max_errors: 20 });
    assert.ok(d.summary.endsWith(KEY_ERROR), d.summary);
    await route('search-logs', { query: 'slow', limit: 200 });
    await route('tail-logs', { flow_run_id: run.id, lines: 500 });
    await route('compare-flow-runs', { flow_run_id: run.id });
    await route('get-trace-tree', { flow_run_id: run.id, expand: 'all' });
  });

  it('tail-logs ends at the real last line and pages back without gap or repeat', async () => {
    const native = (await (
      await fetch(`${url}/logs/filter`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ logs: { flow_run_id: { any_: [run.id] } }, sort: 'TIMESTAMP_DESC', limit: 200 }),
      })
    ).json()) as Json[];
    let page = await route('tail-logs', { flow_run_id: run.id, lines: 100 });
    assert.equal(page.total_lines, lines);
    assert.equal(page.lines.at(-1).message, TRACEBACK);
    assert.equal(page.lines.at(-1).log_id, native[0].id, 'the last line first');
    const got: string[] = [];
    while (got.length < 200) {
      got.unshift(...page.lines.map((l: Json) => l.log_id));
      page = await route('tail-logs', page.next);
    }
    assert.deepEqual(got.slice(-200), native.map((l) => l.id).reverse());
  });

  it('search-logs continues to the last hit', async () => {
    const seen = new Set<string>();
    let page = await route('search-logs', { query: 'slow', limit: 200, order: 'oldest' });
    for (;;) {
      for (const h of page.hits) {
        assert.ok(!seen.has(h.log_id), 'no hit twice');
        seen.add(h.log_id);
      }
      if (!page.next_cursor) break;
      page = await route('search-logs', { query: 'slow', limit: 200, order: 'oldest', cursor: page.next_cursor });
    }
    assert.equal(seen.size, slow);
    assert.equal(page.hits.at(-1).message, `batch ${lines - 1001} was slow`);
  });
});
