/**
 * The flow-run management API (`/api/v1`) on both engines and both path families: the run list
 * (filters, includes, sort, pages, links), a run's logs, retry and stop, and its error bodies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { loadTranscript } from '../helpers/replay.ts';
import { CapturingSink, RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const MISSING = '01a20588-0000-7000-8000-000000000000';
type Json = any;

const ITEM_KEYS = [
  'id',
  'flow_id',
  'name',
  'status',
  'state_name',
  'trigger',
  'message',
  'tags',
  'created_at',
  'started_at',
  'finished_at',
  'duration_ms',
  'parent_flow_run_id',
  'retry_of_flow_run_id',
  'retried_flow_run_id',
  'has_warnings',
  'warning_count',
  'error_count',
];

/** Waits for a condition, polling; fails with `what` after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

forEachEngine('flow-run management API', (engine) => {
  for (const family of ['oss', 'cloud'] as const) {
    describe(`${family} paths`, () => {
      let s: TestServer;
      let c: RunClient;
      const v1 = (p: string) => c.path(`/v1${p}`);
      const get = async (p: string, status = 200): Promise<Json> => {
        const r = await s.request('GET', v1(p));
        assert.equal(r.statusCode, status, `GET ${p} → ${r.statusCode} ${r.body}`);
        return r.json();
      };
      const post = async (p: string, status = 200, headers: Record<string, string> = {}): Promise<Json> => {
        const r = await s.request('POST', v1(p), undefined, headers);
        assert.equal(r.statusCode, status, `POST ${p} → ${r.statusCode} ${r.body}`);
        return r.json();
      };
      const ids = (page: Json) => page.data.map((r: Json) => r.id);

      let etl: Json;
      let report: Json;
      let done: Json; // COMPLETED, with logs
      let failed: Json; // FAILED
      let waiting: Json; // SCHEDULED, never started

      before(async () => {
        s = await startServer(engine);
        c = new RunClient(s, family);
        etl = await c.flow('etl-nightly');
        report = await c.flow('Report');
        done = await c.run(etl.id, { name: 'alpha-run', tags: ['x'] });
        await c.setState(done.id, 'RUNNING');
        await c.setState(done.id, 'COMPLETED');
        failed = await c.run(report.id, { name: 'beta-run' });
        await c.setState(failed.id, 'RUNNING');
        await c.setState(failed.id, 'FAILED', { message: 'boom' });
        waiting = await c.run(report.id, { name: 'gamma-run', state: { type: 'SCHEDULED' } });
        const t = (sec: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString();
        const log = (level: number, sec: number, extra: object = {}) => ({
          name: 'app',
          level,
          message: `m${sec}`,
          timestamp: t(sec),
          flow_run_id: done.id,
          ...extra,
        });
        await c.call(
          'POST',
          '/logs/',
          [log(20, 3), log(30, 1), log(40, 2), log(20, 4), { ...log(50, 5), flow_run_id: failed.id }],
          family === 'oss' ? 201 : 202,
        );
      });
      after(() => s?.close());

      it('lists runs newest start first with exact meta and links that keep every parameter', async () => {
        const page = await get('/flow-runs?per_page=2');
        assert.deepEqual(Object.keys(page), ['data', 'meta', 'links']);
        assert.deepEqual(page.meta, { current_page: 1, per_page: 2, total: 3, last_page: 2 });
        assert.deepEqual(ids(page), [failed.id, done.id]);
        assert.deepEqual(Object.keys(page.data[0]), ITEM_KEYS);
        assert.match(page.links.next, /^http:\/\/.+\/v1\/flow-runs\?per_page=2&page=2$/);
        assert.equal(page.links.prev, null);
        const last = await get('/flow-runs?per_page=2&page=2');
        assert.deepEqual(ids(last), [waiting.id], 'never-started runs come last');
        assert.equal(last.links.next, null);
        assert.match(last.links.prev, /page=1$/);
        const past = await get('/flow-runs?per_page=2&page=9');
        assert.deepEqual(past.data, []);
        assert.deepEqual(ids(await get('/flow-runs?sort=started_at')), [done.id, failed.id, waiting.id]);
      });

      it('renders a run item from its state, timing and log counters', async () => {
        const { data } = await get(`/flow-runs/${done.id}`);
        assert.equal(data.status, 'completed');
        assert.equal(data.trigger, 'manual');
        assert.equal(data.warning_count, 1);
        assert.equal(data.error_count, 1);
        assert.equal(data.has_warnings, true);
        assert.ok(data.duration_ms >= 0);
        assert.match(data.started_at, /Z$/);
        const f = (await get(`/flow-runs/${failed.id}`)).data;
        assert.deepEqual([f.status, f.message, f.error_count, f.warning_count], ['failed', 'boom', 1, 0]);
        const w = (await get(`/flow-runs/${waiting.id}`)).data;
        assert.deepEqual([w.status, w.started_at, w.duration_ms, w.has_warnings], ['scheduled', null, null, false]);
      });

      it('filters by flow, status, trigger, search, warnings and start time', async () => {
        assert.deepEqual(ids(await get(`/flow-runs?filter[flow_id]=${etl.id}`)), [done.id]);
        assert.deepEqual(ids(await get('/flow-runs?filter[status]=failed,scheduled')), [failed.id, waiting.id]);
        assert.deepEqual(ids(await get('/flow-runs?filter[search]=ALPHA')), [done.id]);
        assert.deepEqual(ids(await get('/flow-runs?filter[search]=report')), [failed.id, waiting.id], 'flow name');
        assert.deepEqual(ids(await get('/flow-runs?filter[has_warnings]=0')), [waiting.id]);
        assert.deepEqual(ids(await get('/flow-runs?filter[trigger]=deployment')), []);
        const started = Date.parse((await get(`/flow-runs/${done.id}`)).data.started_at);
        assert.ok(ids(await get(`/flow-runs?filter[started_after]=${started}`)).includes(done.id));
        assert.ok(!ids(await get(`/flow-runs?filter[started_after]=${started + 1}`)).includes(done.id));
        assert.ok(ids(await get(`/flow-runs?filter[started_before]=${started + 1}`)).includes(done.id));
        assert.ok(!ids(await get(`/flow-runs?filter[started_before]=${started - 1}`)).includes(done.id));
        const day = 86_400_000;
        assert.ok(ids(await get(`/flow-runs?filter[started_on]=${started}`)).includes(done.id));
        assert.deepEqual(ids(await get(`/flow-runs?filter[started_on]=${started - day}`)), []);
        assert.ok(
          ids(await get(`/flow-runs?filter[started_on]=${started - (started % day)}`)).includes(done.id),
          'UTC midnight is the day it starts',
        );
      });

      it('embeds the relationships asked for', async () => {
        const { data } = await get(
          `/flow-runs/${done.id}?include=flow,flowRunLogs.flowStep,errorWarningLogs,retriedFlowRun`,
        );
        assert.deepEqual(data.flow, { id: etl.id, name: 'etl-nightly' });
        assert.equal(data.retriedFlowRun, null);
        assert.equal(data.flowRunLogs.total, 4);
        assert.deepEqual(
          data.flowRunLogs.data.map((l: Json) => [l.level, l.level_name, l.flowStep]),
          [
            [30, 'WARNING', null],
            [40, 'ERROR', null],
            [20, 'INFO', null],
            [20, 'INFO', null],
          ],
        );
        assert.match(data.flowRunLogs.related, new RegExp(`/v1/flow-runs/${done.id}/flow-run-logs$`));
        assert.deepEqual(
          data.errorWarningLogs.data.map((l: Json) => l.level),
          [30, 40],
        );
        assert.equal(data.errorWarningLogs.total, 2);
      });

      it('pages a run’s logs by timestamp, and serves one log of that run only', async () => {
        const page = await get(`/flow-runs/${done.id}/flow-run-logs?per_page=3&include=flowRun`);
        assert.deepEqual(page.meta, { current_page: 1, per_page: 3, total: 4, last_page: 2 });
        assert.deepEqual(
          page.data.map((l: Json) => l.message),
          ['m1', 'm2', 'm3'],
        );
        assert.deepEqual(page.data[0].flowRun, { id: done.id, name: 'alpha-run', status: 'completed' });
        const desc = await get(`/flow-runs/${done.id}/flow-run-logs?sort=-timestamp&page=2&per_page=3`);
        assert.deepEqual(
          desc.data.map((l: Json) => l.message),
          ['m1'],
        );
        const one = await get(`/flow-runs/${done.id}/flow-run-logs/${page.data[1].id}`);
        assert.equal(one.data.message, 'm2');
        await get(`/flow-runs/${failed.id}/flow-run-logs/${page.data[1].id}`, 404);
        const byTask = await get(`/flow-runs/${done.id}/flow-run-logs?filter[flow_step_id]=${MISSING}`);
        assert.deepEqual([byTask.data, byTask.meta.total], [[], 0]);
      });

      it('answers {code, message} errors: unsupported parameters, bad values, unknown runs', async () => {
        const u = await get('/flow-runs?filter[user_id]=1', 400);
        assert.equal(u.code, 'unsupported_parameter');
        assert.ok(u.supported.includes('filter[status]'));
        assert.equal((await get('/flow-runs?include=metrics', 400)).code, 'unsupported_parameter');
        assert.equal((await get('/flow-runs?sort=name', 400)).code, 'unsupported_parameter');
        assert.equal((await get('/flow-runs?fields[flow]=id', 400)).code, 'unsupported_parameter');
        for (const bad of ['per_page=0', 'per_page=101', 'page=0', 'filter[started_after]=yesterday'])
          assert.equal((await get(`/flow-runs?${bad}`, 422)).code, 'invalid_parameter', bad);
        assert.equal((await get('/flow-runs?filter[flow_id]=nope', 422)).parameter, 'filter[flow_id]');
        assert.equal((await get(`/flow-runs?filter[search]=${'x'.repeat(201)}`, 422)).code, 'invalid_parameter');
        assert.equal((await get(`/flow-runs/${MISSING}`, 404)).code, 'not_found');
        assert.equal((await get('/flow-runs/not-a-uuid', 404)).code, 'not_found');
        assert.equal((await get(`/flow-runs/${MISSING}/flow-run-logs`, 404)).code, 'not_found');
        assert.equal(
          (await get(`/flow-runs/${done.id}/flow-run-logs?include=flowRunLogPayloads`, 400)).code,
          'unsupported_parameter',
        );
      });

      it('retries a finished run once per idempotency key, linked both ways, and refuses an unfinished one', async () => {
        const { data: retry } = await post(`/flow-runs/${failed.id}/retry`, 200, { 'idempotency-key': 'k1' });
        assert.equal(retry.status, 'scheduled');
        assert.equal(retry.trigger, 'retry');
        assert.equal(retry.retry_of_flow_run_id, failed.id);
        assert.equal(retry.flow_id, report.id);
        const again = await post(`/flow-runs/${failed.id}/retry`, 200, { 'idempotency-key': 'k1' });
        assert.equal(again.data.id, retry.id);
        const orig = (await get(`/flow-runs/${failed.id}?include=retriedFlowRun`)).data;
        assert.equal(orig.retried_flow_run_id, retry.id);
        assert.deepEqual(orig.retriedFlowRun, { id: retry.id, status: 'scheduled' });
        assert.ok(ids(await get('/flow-runs?filter[retried]=true')).includes(failed.id));
        assert.ok(ids(await get('/flow-runs?filter[trigger]=retry')).includes(retry.id));
        assert.equal((await post(`/flow-runs/${waiting.id}/retry`, 409)).code, 'run_not_finished');
        assert.equal((await post(`/flow-runs/${MISSING}/retry`, 404)).code, 'not_found');
      });

      it('stops runs: at once before they start, through CANCELLING while running', async () => {
        const scheduled = await c.run(report.id, { state: { type: 'SCHEDULED' } });
        assert.equal((await post(`/flow-runs/${scheduled.id}/stop`)).data.status, 'cancelled');
        const running = await c.run(report.id);
        await c.setState(running.id, 'RUNNING');
        const parentTask = await c.call(
          'POST',
          '/task_runs/',
          { flow_run_id: running.id, task_key: 'sub', dynamic_key: '0', name: 'sub' },
          201,
        );
        const sub = await c.run(report.id, { parent_task_run_id: parentTask.id });
        await c.setState(sub.id, 'RUNNING');
        assert.equal((await post(`/flow-runs/${running.id}/stop`)).data.status, 'cancelling');
        assert.equal((await get(`/flow-runs/${sub.id}`)).data.status, 'cancelling', 'subflows are stopped too');
        assert.equal((await post(`/flow-runs/${running.id}/stop`)).data.status, 'cancelling', 'unchanged');
        // The client's next proposal is aborted; the server then finishes the stop.
        const r = await c.setState(running.id, 'COMPLETED');
        assert.equal(r.status, 'ABORT');
        assert.equal(r.details.reason, 'The run was stopped');
        assert.equal((await get(`/flow-runs/${running.id}`)).data.status, 'cancelled');
        // A client's CANCELLED proposal is accepted.
        assert.equal((await c.setState(sub.id, 'CANCELLED')).status, 'ACCEPT');
        assert.equal((await post(`/flow-runs/${done.id}/stop`, 409)).code, 'run_finished');
      });
    });
  }

  it('cancels a stopped run nobody acknowledged after --cancel-timeout, across a restart', async () => {
    const a = await startServer(engine, { 'cancel-timeout': '1h' });
    let b: TestServer | undefined;
    try {
      const c = new RunClient(a);
      const run = await c.run();
      await c.setState(run.id, 'RUNNING');
      const r = await a.request('POST', a.oss(`/v1/flow-runs/${run.id}/stop`));
      assert.equal(r.json().data.status, 'cancelling');
      await a.close();
      // The deadline is the CANCELLING state's own time: the next server on the database keeps it.
      b = await startServer(engine, { db: a.config.db, 'data-dir': a.config['data-dir'], 'cancel-timeout': '1s' });
      const cb = new RunClient(b);
      await until('the stop to time out', async () => (await cb.getRun(run.id)).state_type === 'CANCELLED');
    } finally {
      await a.close();
      await b?.close();
    }
  });

  it('aborts the recorded Prefect client’s COMPLETED proposal for a stopped run, then cancels it', async () => {
    const s = await startServer(engine);
    try {
      const c = new RunClient(s);
      const run = await c.run();
      await c.setState(run.id, 'RUNNING');
      await s.request('POST', s.oss(`/v1/flow-runs/${run.id}/stop`));
      // The exact body Prefect 3.8.3 sent to finish a flow run, with this run's id.
      const recorded = loadTranscript('flow-with-retry').http.find(
        (e) => e.request.path_template.endsWith('/set_state') && e.request.body.state.type === 'COMPLETED',
      )!;
      const body = JSON.parse(
        JSON.stringify(recorded.request.body).replaceAll(recorded.request.body.state.state_details.flow_run_id, run.id),
      );
      const r = await s.request('POST', s.oss(`/flow_runs/${run.id}/set_state`), body);
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().status, 'ABORT');
      assert.equal(r.json().details.reason, 'The run was stopped');
      assert.equal((await c.getRun(run.id)).state_type, 'CANCELLED');
    } finally {
      await s.close();
    }
  });

  it('takes the seed’s bare `Authorization: <key>` under --auth', async () => {
    const s = await startServer(engine, { auth: 'true' });
    try {
      const key = await makeKey(s, 'write');
      const bare = { authorization: key.secret };
      const list = await s.request('GET', s.oss('/v1/flow-runs'), undefined, bare);
      assert.equal(list.statusCode, 200, list.body);
      const refused = await s.request('GET', s.oss('/v1/flow-runs'));
      assert.deepEqual([refused.statusCode, refused.json().code], [401, 'unauthorized']);
      const readOnly = await makeKey(s, 'read');
      const stop = await s.request('POST', s.oss(`/v1/flow-runs/${MISSING}/stop`), undefined, readOnly.bearer);
      assert.deepEqual([stop.statusCode, stop.json().code], [403, 'forbidden']);
    } finally {
      await s.close();
    }
  });

  it('keeps workspaces apart on both path families, and emits Scheduled for a retry', async () => {
    const sink = new CapturingSink();
    const s = await startServer(engine, {}, { eventSink: sink });
    try {
      const created = await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, {
        name: 'other',
        handle: 'other',
      });
      const other = created.json().id;
      const c = new RunClient(s);
      const run = await c.run();
      await c.setState(run.id, 'RUNNING');
      await c.setState(run.id, 'COMPLETED');
      const inOther = (p: string) => s.cloud(`/v1${p}`, other);
      assert.equal((await s.request('GET', inOther(`/flow-runs/${run.id}`))).statusCode, 404);
      assert.deepEqual((await s.request('GET', inOther('/flow-runs'))).json().meta.total, 0);
      assert.equal((await s.request('POST', inOther(`/flow-runs/${run.id}/retry`))).statusCode, 404);
      assert.equal((await s.request('GET', inOther(`/flow-runs/${run.id}/download`))).statusCode, 404);
      assert.equal((await s.request('GET', s.cloud(`/v1/flow-runs/${run.id}`))).statusCode, 200);
      const retry = (await s.request('POST', s.oss(`/v1/flow-runs/${run.id}/retry`))).json().data;
      const scheduled = sink.named('prefect.flow-run.Scheduled');
      assert.ok(
        scheduled.some((e) => e.resource['prefect.resource.id'] === `prefect.flow-run.${retry.id}`),
        'the retry announces itself to executors',
      );
    } finally {
      await s.close();
    }
  });
});
