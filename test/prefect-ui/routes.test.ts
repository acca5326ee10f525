/**
 * The routes Prefect's own web UI calls, on both engines: every request recorded from its two apps
 * (`../shared/reference/prefect-ui-calls/`) replayed on seeded runs — no 404, no 5xx, each answer
 * in Prefect's documented shape — and the UI routes the recordings did not reach, by what they count.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { responseSchema, shapeErrors } from '../helpers/openapi-shape.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

const RECORDINGS = ['prefect-ui-v1-requests.jsonl', 'prefect-ui-v2-requests.jsonl'].flatMap((f) =>
  readFileSync(new URL(`../../../shared/reference/prefect-ui-calls/${f}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ file: f, ...(JSON.parse(l) as { m: string; p: string; q?: string; req?: string }) })),
);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HOUR = 3_600_000;

/** The `{id}` template of a path, for the OpenAPI lookup (`/flow_runs/{id}/graph-v2`). */
const template = (p: string) => p.replace(UUID, '{id}');

export interface Seed {
  flow: Json;
  parent: Json;
  /** a → b (b takes a's result), c failed, t tracks the subflow. */
  tasks: { a: Json; b: Json; c: Json; t: Json };
  subflow: Json;
  scheduled: Json;
}

/** A flow run with three task runs and a subflow, finished; and a run scheduled an hour ahead. */
export async function seedRuns(c: RunClient): Promise<Seed> {
  const flow = await c.flow('etl-ui');
  const parent = await c.run(flow.id, { name: 'parent-run' });
  await c.setState(parent.id, 'RUNNING');
  const task = async (key: string, inputs: object = {}, extra: object = {}) =>
    c.call(
      'POST',
      '/task_runs/',
      { flow_run_id: parent.id, task_key: key, dynamic_key: '0', name: `${key}-0`, task_inputs: inputs, ...extra },
      201,
    );
  const finish = async (id: string, type: string) => {
    await c.setState(id, 'RUNNING', {}, false, 'task_runs');
    await c.setState(id, type, {}, false, 'task_runs');
  };
  const a = await task('a');
  await finish(a.id, 'COMPLETED');
  const b = await task('b', { x: [{ input_type: 'task_run', id: a.id }] });
  await finish(b.id, 'COMPLETED');
  const cc = await task('c');
  await finish(cc.id, 'FAILED');
  const t = await task('sub', {}, { name: 'sub-0' });
  const subFlow = await c.flow('etl-child');
  const subflow = await c.run(subFlow.id, { name: 'child-run', parent_task_run_id: t.id });
  await c.setState(subflow.id, 'RUNNING');
  await c.setState(subflow.id, 'COMPLETED');
  await finish(t.id, 'COMPLETED');
  await c.setState(parent.id, 'FAILED', { message: 'c failed' });
  const scheduled = await c.run(flow.id, {
    name: 'later-run',
    state: { type: 'SCHEDULED', state_details: { scheduled_time: new Date(Date.now() + HOUR).toISOString() } },
  });
  return { flow, parent, tasks: { a, b, c: cc, t }, subflow, scheduled };
}

forEachEngine('Prefect UI routes', (engine) => {
  let s: TestServer;
  let seed: Seed;

  before(async () => {
    s = await startServer(engine);
    seed = await seedRuns(new RunClient(s));
  });
  after(() => s?.close());

  for (const family of ['oss', 'cloud'] as const) {
    describe(`${family} paths`, () => {
      const path = (p: string) => (family === 'oss' ? s.oss(p) : s.cloud(p));
      const call = async (method: string, p: string, body?: unknown, status = 200): Promise<Json> => {
        const r = await s.request(method as 'GET', path(p), body);
        assert.equal(r.statusCode, status, `${method} ${p} → ${r.statusCode} ${r.body.slice(0, 500)}`);
        return r.json();
      };
      /** Answers `method p` and checks the answer against Prefect's documented response model. */
      const conforming = async (method: string, p: string, body?: unknown): Promise<Json> => {
        const answer = await call(method, p, body);
        const schema = responseSchema(method, template(p.split('?')[0]));
        if (schema) assert.deepEqual(shapeErrors(answer, schema).slice(0, 10), [], `${method} ${p}`);
        return answer;
      };

      it('answers every request the two UIs were recorded making, in Prefect’s shapes', async () => {
        // The recorded ids: one flow, one flow run, task runs of that run.
        const recorded = new Map<string, string>();
        const tasks = [seed.tasks.a.id, seed.tasks.b.id, seed.tasks.c.id];
        for (const r of RECORDINGS) {
          for (const m of r.p.matchAll(/\/(flows|flow_runs|task_runs)\/([0-9a-f-]{36})/g)) {
            const kind = m[1];
            if (recorded.has(m[2])) continue;
            recorded.set(m[2], kind === 'flows' ? seed.flow.id : kind === 'flow_runs' ? seed.parent.id : tasks[0]);
          }
        }
        let spare = 1;
        for (const r of RECORDINGS)
          for (const id of r.req?.match(UUID) ?? []) if (!recorded.has(id)) recorded.set(id, tasks[spare++ % 3]);
        const swap = (text: string) => text.replace(UUID, (id) => recorded.get(id) ?? id);

        const routes = new Set<string>();
        for (const r of RECORDINGS) {
          // `/ui-settings` is the UI's own origin, not the API (tested with `--prefect-ui`).
          if (!r.p.startsWith('/api/')) continue;
          const p = swap(r.p.slice(4)) + (r.q ? `?${r.q}` : '');
          const body = r.req ? JSON.parse(swap(r.req)) : undefined;
          await conforming(r.m, p, body);
          routes.add(`${r.m} ${template(r.p)}`);
        }
        assert.ok(routes.size >= 28, `${routes.size} distinct routes replayed`);
      });

      it('counts runs per interval and state in the run histories', async () => {
        const start = new Date(Date.now() - 2 * HOUR).toISOString();
        const end = new Date(Date.now() + 2 * HOUR).toISOString();
        const body = { history_start: start, history_end: end, history_interval_seconds: 3600 };
        const flows = await conforming('POST', '/flow_runs/history', body);
        assert.equal(flows.length, 4);
        const states = flows.flatMap((i: Json) => i.states);
        const count = (type: string) =>
          states.filter((x: Json) => x.state_type === type).reduce((n: number, x: Json) => n + x.count_runs, 0);
        assert.equal(count('FAILED'), 1);
        assert.equal(count('COMPLETED'), 1, 'the subflow');
        assert.equal(count('SCHEDULED'), 1, 'the run an hour ahead');
        assert.deepEqual(
          flows[2].states.map((x: Json) => x.state_type),
          ['SCHEDULED'],
          'an hour after the seed is in the third interval',
        );
        const taskHistory = await conforming('POST', '/task_runs/history', body);
        const taskStates = taskHistory.flatMap((i: Json) => i.states);
        assert.deepEqual(taskStates.map((x: Json) => `${x.state_type}:${x.count_runs}`).sort(), [
          'COMPLETED:3',
          'FAILED:1',
        ]);
        const bad = await s.request('POST', path('/flow_runs/history'), { ...body, history_interval_seconds: 0.5 });
        assert.equal(bad.statusCode, 422, bad.body);
      });

      it('pages runs and flows with their totals', async () => {
        const runs = await conforming('POST', '/flow_runs/paginate', { limit: 2, page: 2, sort: 'NAME_ASC' });
        assert.equal(runs.count, 3);
        assert.equal(runs.pages, 2);
        assert.equal(runs.page, 2);
        assert.deepEqual(
          runs.results.map((r: Json) => r.name),
          ['parent-run'],
        );
        const tasks = await conforming('POST', '/task_runs/paginate', {
          task_runs: { state: { type: { any_: ['FAILED'] } } },
        });
        assert.deepEqual(
          tasks.results.map((r: Json) => r.id),
          [seed.tasks.c.id],
        );
        const flows = await conforming('POST', '/flows/paginate', { limit: 1 });
        assert.deepEqual([flows.count, flows.pages, flows.results[0].name], [2, 2, 'etl-child']);
        const none = await conforming('POST', '/deployments/paginate', { limit: 10, page: 1 });
        assert.deepEqual(none, { results: [], count: 0, limit: 10, pages: 0, page: 1 });
      });

      it('answers the /ui routes: simple runs, counts, next runs, a task run with its flow run name', async () => {
        const simple = await conforming('POST', '/ui/flow_runs/history', {
          flow_runs: { id: { any_: [seed.parent.id] } },
        });
        assert.equal(simple.length, 1);
        assert.equal(simple[0].state_type, 'FAILED');
        assert.equal(simple[0].timestamp, (await call('GET', `/flow_runs/${seed.parent.id}`)).start_time);

        const counts = await conforming('POST', '/ui/flow_runs/count-task-runs', {
          flow_run_ids: [seed.parent.id, seed.subflow.id],
        });
        assert.deepEqual(
          counts,
          { [seed.parent.id]: 3, [seed.subflow.id]: 0 },
          'the subflow’s tracking task is not counted',
        );
        const tooMany = Array.from({ length: 201 }, () => seed.parent.id);
        await call('POST', '/ui/flow_runs/count-task-runs', { flow_run_ids: tooMany }, 422);

        const byState = await conforming('POST', '/ui/task_runs/count', {});
        assert.equal(byState.COMPLETED, 3);
        assert.equal(byState.FAILED, 1);
        assert.equal(byState.RUNNING, 0);

        const window = { start_time: { after_: new Date(Date.now() - HOUR).toISOString() } };
        const dash = await conforming('POST', '/ui/task_runs/dashboard/counts', { task_runs: window });
        assert.equal(dash.length, 20);
        assert.deepEqual(
          dash.reduce((t: Json, b: Json) => ({ completed: t.completed + b.completed, failed: t.failed + b.failed })),
          { completed: 3, failed: 1 },
        );
        const noWindow = await s.request('POST', path('/ui/task_runs/dashboard/counts'), { task_runs: {} });
        assert.equal(noWindow.statusCode, 422, noWindow.body);
        assert.match(noWindow.body, /task_runs\.start_time\.after_ is required/);

        const next = await conforming('POST', '/ui/flows/next-runs', {
          flow_ids: [seed.flow.id, seed.subflow.flow_id],
        });
        assert.equal(next[seed.flow.id].id, seed.scheduled.id);
        assert.equal(next[seed.subflow.flow_id], null);
        assert.deepEqual(await conforming('POST', '/ui/flows/count-deployments', { flow_ids: [seed.flow.id] }), {
          [seed.flow.id]: 0,
        });

        const ui = await call('GET', `/ui/task_runs/${seed.tasks.b.id}`);
        assert.equal(ui.flow_run_name, 'parent-run');
        assert.equal(ui.id, seed.tasks.b.id);
        const missing = await s.request('GET', path('/ui/task_runs/01a20588-0000-7000-8000-000000000000'));
        assert.equal(missing.statusCode, 404);
        assert.deepEqual(missing.json(), { detail: 'Task not found' });
      });

      it('answers the lists of objects Sightline does not have as empty, and still refuses a non-object body', async () => {
        for (const base of [
          '/deployments',
          '/work_pools',
          '/work_queues',
          '/automations',
          '/block_documents',
          '/saved_searches',
          '/variables',
          '/concurrency_limits',
          '/v2/concurrency_limits',
        ])
          assert.deepEqual(await conforming('POST', `${base}/filter`, {}), []);
        for (const base of ['/deployments', '/work_pools', '/automations', '/block_documents', '/variables'])
          assert.equal(await call('POST', `${base}/count`, {}), 0);
        const bad = await s.request('POST', path('/deployments/filter'), [1, 2]);
        assert.equal(bad.statusCode, 422, bad.body);
      });

      it('serves the settings the UI reads, nothing secret', async () => {
        const settings = await call('GET', '/admin/settings');
        assert.equal(settings.server.ui.show_promotional_content, false);
        assert.equal(settings.server.analytics_enabled, false);
        assert.match(settings.api.url, /^http:\/\/.+\/api$/);
        assert.equal(settings.api.key, null);
        assert.doesNotMatch(JSON.stringify(settings), /token-secret|postgres:\/\/|sqlite:/);
      });
    });
  }
});
