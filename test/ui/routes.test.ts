/**
 * The web UI's internal routes (`/sightline/…`) on both engines and both path families: log
 * counters of many runs, a run's log pages past Cloud's offset cap, the level histogram, a log's
 * position, the state changes of a trace's spans, and signed download links (under `--auth` the
 * link alone opens the file, for five minutes, for that run only).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { makeKey, type TestKey } from '../helpers/keys.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;
const LINES = 12_000;

forEachEngine('web UI routes', (engine) => {
  let s: TestServer;
  let key: TestKey;
  let run: Json;
  let other: Json;
  const post = async (path: string, body: unknown, status = 200, headers = key.bearer): Promise<Json> => {
    const r = await s.request('POST', s.cloud(path), body, headers);
    assert.equal(r.statusCode, status, `${path} → ${r.statusCode} ${r.body.slice(0, 300)}`);
    return r.body ? r.json() : undefined;
  };

  before(async () => {
    s = await startServer(engine, { auth: 'true' });
    key = await makeKey(s, 'write');
    const flow = await post('/flows/', { name: 'ui' }, 201);
    run = await post('/flow_runs/', { flow_id: flow.id }, 201);
    other = await post('/flow_runs/', { flow_id: flow.id }, 201);
    const t0 = Date.UTC(2026, 0, 1);
    for (let from = 0; from < LINES; from += 4000) {
      const batch = Array.from({ length: 4000 }, (_, k) => {
        const i = from + k;
        return {
          name: i % 2 ? 'a' : 'b',
          level: i % 100 === 99 ? 40 : i % 10 === 9 ? 30 : 20,
          message: `line ${i}`,
          timestamp: new Date(t0 + i * 1000).toISOString(),
          flow_run_id: run.id,
        };
      });
      await post('/logs/', batch, 202);
    }
  });
  after(() => s?.close());

  it('counts each run’s logs, warnings and errors', async () => {
    const counts = await post('/sightline/flow_runs/log-counts', { flow_run_ids: [run.id, other.id] });
    assert.deepEqual(counts, {
      [run.id]: { logs: LINES, warnings: LINES / 10 - LINES / 100, errors: LINES / 100 },
      [other.id]: { logs: 0, warnings: 0, errors: 0 },
    });
  });

  it('reads a run’s log page at any offset (Cloud’s /logs/filter caps them), filtered', async () => {
    const capped = await s.request('POST', s.cloud('/logs/filter'), { offset: 20_001, limit: 1 }, key.bearer);
    assert.equal(capped.statusCode, 422, 'Cloud paths cap /logs/filter offsets');
    const [deep] = await post(`/sightline/flow_runs/${run.id}/logs`, { offset: 11_000, limit: 1 });
    assert.equal(deep.message, 'line 11000');
    assert.deepEqual(await post(`/sightline/flow_runs/${run.id}/logs`, { offset: 20_001 }), []);
    const errors = await post(`/sightline/flow_runs/${run.id}/logs`, {
      logs: { level: { ge_: 40 }, loggers: { any_: ['a'] } },
      offset: 100,
      limit: 5,
    });
    assert.deepEqual(
      errors.map((l: Json) => l.message),
      ['line 10099', 'line 10199', 'line 10299', 'line 10399', 'line 10499'],
    );
    const text = await post(`/sightline/flow_runs/${run.id}/logs`, { logs: { text: { query: '"line 7777"' } } });
    assert.deepEqual(
      text.map((l: Json) => l.message),
      ['line 7777'],
    );
    await post(`/sightline/flow_runs/${run.id}/logs`, { offset: -1 }, 422);
  });

  it('draws the level histogram of the run and places a log in a filtered list', async () => {
    const h = await post(`/sightline/flow_runs/${run.id}/log-histogram`, { buckets: 12 });
    assert.equal(h.start, '2026-01-01T00:00:00Z');
    assert.equal(h.buckets.length, 12);
    assert.deepEqual(h.totals, {
      debug: 0,
      info: LINES - LINES / 10,
      warning: LINES / 10 - LINES / 100,
      error: LINES / 100,
      critical: 0,
    });
    assert.equal(
      h.buckets.reduce((n: number, b: Json) => n + b.error, 0),
      LINES / 100,
    );
    const [target] = await post(`/sightline/flow_runs/${run.id}/logs`, { offset: 9_000, limit: 1 });
    const pos = await post(`/sightline/flow_runs/${run.id}/log-position`, { log_id: target.id });
    assert.equal(pos.offset, 9_000);
    const warnings = await post(`/sightline/flow_runs/${run.id}/log-position`, {
      log_id: target.id,
      logs: { level: { ge_: 30 } },
      sort: 'TIMESTAMP_DESC',
    });
    // line 9000 is INFO: among warnings and errors, those after it (newest first) come before it.
    assert.equal(warnings.offset, (LINES - 9_000) / 10);
    await post(`/sightline/flow_runs/${run.id}/log-position`, { log_id: other.id }, 404);
  });

  it('reads the state changes of many spans of a trace in one request, the latest 50 of each', async () => {
    const task = await post(
      '/task_runs/',
      { flow_run_id: run.id, task_key: 't', dynamic_key: '0', state: { type: 'PENDING' } },
      201,
    );
    const setState = (kind: string, id: string, type: string, name?: string) =>
      post(`/${kind}/${id}/set_state`, { state: { type, name }, force: true }, 201);
    await setState('flow_runs', run.id, 'RUNNING');
    for (let i = 0; i < 30; i++) {
      await setState('task_runs', task.id, 'RUNNING');
      await setState('task_runs', task.id, 'SCHEDULED', 'AwaitingRetry');
    }
    await setState('task_runs', task.id, 'FAILED');
    const changes = await post(`/sightline/traces/${run.id}/state-changes`, {
      span_ids: [run.id, task.id, other.id, crypto.randomUUID()],
    });
    assert.deepEqual(Object.keys(changes).sort(), [run.id, task.id].sort(), 'another trace’s run is left out');
    const mine = await s.request('GET', s.cloud(`/flow_run_states/?flow_run_id=${run.id}`), undefined, key.bearer);
    assert.deepEqual(
      changes[run.id],
      {
        total: 2,
        states: mine.json().map((x: Json) => ({ type: x.type, name: x.name, timestamp: x.timestamp })),
      },
      'the same states as the history route, without messages and details',
    );
    const t = changes[task.id];
    assert.equal(t.total, 62);
    assert.equal(t.states.length, 50);
    assert.deepEqual(t.states.at(-1), { ...t.states.at(-1), type: 'FAILED', name: 'Failed' });
    // Pending, 30 × (Running, AwaitingRetry), Failed: the latest 50 start at the 13th state.
    assert.deepEqual(
      t.states.slice(0, 2).map((x: Json) => x.name),
      ['AwaitingRetry', 'Running'],
    );
    const times = t.states.map((x: Json) => Date.parse(x.timestamp));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'oldest first',
    );

    const bad = await s.request(
      'POST',
      s.cloud(`/sightline/traces/${run.id}/state-changes`),
      { span_ids: Array.from({ length: 201 }, () => crypto.randomUUID()) },
      key.bearer,
    );
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /span_ids/);
    await post(`/sightline/traces/${run.id}/state-changes`, { span_ids: ['not-a-uuid'] }, 422);
    await post(`/sightline/traces/${crypto.randomUUID()}/state-changes`, { span_ids: [run.id] }, 404);
    await post(`/sightline/traces/${run.id}/state-changes`, { span_ids: [run.id] }, 401, {});
  });

  describe('signed download links', () => {
    it('open the run’s file without a key, once signed with one; never another run’s', async () => {
      const { url, expires } = await post(`/sightline/flow_runs/${run.id}/download-link`, { format: 'text' });
      assert.ok(Date.parse(expires) - Date.now() <= 5 * 60_000);
      const file = await s.request('GET', url);
      assert.equal(file.statusCode, 200, file.body.slice(0, 200));
      assert.equal(file.body.trimEnd().split('\n').length, LINES);
      const direct = await s.request(
        'GET',
        s.cloud(`/flow_runs/${run.id}/logs/download?format=text`),
        undefined,
        key.bearer,
      );
      assert.equal(file.body, direct.body);

      assert.match(url, /^\/api\/sightline\/log-downloads\/[^/?]+$/);
      // The token is signed: another run's id (or any change) in it is refused.
      const [body, mac] = url.split('/').pop()!.split('.');
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
      const changed = Buffer.from(JSON.stringify({ ...payload, run: other.id })).toString('base64url');
      const stolen = await s.request('GET', `/api/sightline/log-downloads/${changed}.${mac}`);
      assert.equal(stolen.statusCode, 403);
      assert.match(stolen.body, /not valid/);
      const forged = await s.request('GET', `${url.slice(0, -3)}abc`);
      assert.equal(forged.statusCode, 403);
      const unsigned = await s.request('GET', s.cloud(`/flow_runs/${run.id}/logs/download`));
      assert.equal(unsigned.statusCode, 401, 'the plain download still needs a key');
      await post(`/sightline/flow_runs/${run.id}/download-link`, {}, 401, {});
    });
  });
});
