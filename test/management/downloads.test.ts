/**
 * Queued log downloads of the flow-run management API: lifecycle, the file's bytes (those of
 * `GET /flow_runs/{id}/logs/download` at queue time), reuse, the per-workspace limit, expiry, a
 * restart and a dead worker, and on PostgreSQL two instances sharing the jobs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Engine, forEachEngine, forEngine } from '../helpers/engines.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = any;

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runWithLogs(s: TestServer, n: number, name = 'nightly'): Promise<Json> {
  const c = new RunClient(s);
  const run = await c.run(undefined, { name });
  const logs = Array.from({ length: n }, (_, i) => ({
    name: 'app',
    level: 20,
    message: `line ${i}, "quoted"`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60, i % 1000)).toISOString(),
    flow_run_id: run.id,
  }));
  await c.call('POST', '/logs/', logs, 201);
  return run;
}

const v1 = (s: TestServer, p: string) => s.oss(`/v1${p}`);
const job = async (s: TestServer, id: string): Promise<Json> =>
  (await s.request('GET', v1(s, `/file-downloads/${id}`))).json().data;
const queue = async (s: TestServer, runId: string, status = 200): Promise<Json> => {
  const r = await s.request('GET', v1(s, `/flow-runs/${runId}/download`));
  assert.equal(r.statusCode, status, r.body);
  return r.json();
};
const completed = (s: TestServer, id: string) =>
  until(
    'the download to complete',
    () => job(s, id),
    (j) => j.status === 'completed',
  );

/** A second server on the first one's database (and data directory). */
function sharing(engine: Engine, first: TestServer, overrides: Record<string, string> = {}) {
  return startServer(engine, { db: first.config.db, 'data-dir': first.config['data-dir'], ...overrides });
}

forEachEngine('queued log downloads', (engine) => {
  describe('with a worker', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(engine);
    });
    after(() => s?.close());

    it('writes the CSV the download route sends, leaving out logs stored after queueing', async () => {
      const run = await runWithLogs(s, 2500);
      const expected = (await s.request('GET', s.oss(`/flow_runs/${run.id}/logs/download`))).body;
      const { data } = await queue(s, run.id);
      assert.deepEqual(Object.keys(data), [
        'id',
        'flow_run_id',
        'format',
        'status',
        'created_at',
        'completed_at',
        'row_count',
        'size_bytes',
        'error',
        'links',
      ]);
      assert.equal(data.format, 'csv');
      await new RunClient(s).call(
        'POST',
        '/logs/',
        [{ name: 'late', level: 20, message: 'late', timestamp: new Date().toISOString(), flow_run_id: run.id }],
        201,
      );
      const done = await completed(s, data.id);
      assert.equal(done.row_count, 2500);
      assert.equal(done.size_bytes, Buffer.byteLength(expected));
      assert.match(done.links.file, new RegExp(`/api/v1/file-downloads/${data.id}/file$`));
      const file = await s.request('GET', v1(s, `/file-downloads/${data.id}/file`));
      assert.equal(file.statusCode, 200);
      assert.equal(file.body, expected);
      assert.match(String(file.headers['content-disposition']), /nightly-logs\.csv/);
      const listed = (await s.request('GET', v1(s, `/file-downloads?filter[flow_run_id]=${run.id}`))).json();
      assert.deepEqual(
        listed.data.map((j: Json) => j.id),
        [data.id],
      );
      assert.equal((await s.request('DELETE', v1(s, `/file-downloads/${data.id}`))).statusCode, 204);
      assert.equal((await s.request('GET', v1(s, `/file-downloads/${data.id}`))).json().code, 'not_found');
      assert.equal((await queue(s, '01a20588-0000-7000-8000-000000000000', 404)).code, 'not_found');
    });
  });

  it('reuses a run’s unfinished job, answers 409 until the file exists, caps unfinished jobs, survives a restart', async () => {
    const a = await startServer(engine, { 'no-download-worker': 'true' });
    let b: TestServer | undefined;
    try {
      const run = await runWithLogs(a, 10);
      const first = (await queue(a, run.id)).data;
      assert.equal(first.status, 'queued');
      assert.equal((await queue(a, run.id)).data.id, first.id, 'the unfinished job is reused');
      const early = await a.request('GET', v1(a, `/file-downloads/${first.id}/file`));
      assert.equal(early.statusCode, 409);
      assert.equal(early.json().code, 'download_not_ready');
      assert.equal(early.headers['retry-after'], '1');
      for (let i = 0; i < 19; i++) await queue(a, (await runWithLogs(a, 1, `r${i}`)).id);
      const over = await queue(a, (await runWithLogs(a, 1, 'one-too-many')).id, 429);
      assert.equal(over.code, 'too_many_jobs');
      const expected = (await a.request('GET', a.oss(`/flow_runs/${run.id}/logs/download`))).body;
      await a.close();
      // A restart: the queued jobs are written by the next server on the database.
      b = await sharing(engine, a);
      await completed(b, first.id);
      assert.equal((await b.request('GET', v1(b, `/file-downloads/${first.id}/file`))).body, expected);
      const all = (await b.request('GET', v1(b, '/file-downloads?per_page=100'))).json();
      assert.equal(all.meta.total, 20);
    } finally {
      await a.close();
      await b?.close();
    }
  });

  it('takes over the job of a dead worker once its lease has run out', async () => {
    const a = await startServer(engine, { 'no-download-worker': 'true' });
    let b: TestServer | undefined;
    try {
      const run = await runWithLogs(a, 50);
      const { data } = await queue(a, run.id);
      const store = a.app.store;
      // A worker claims the job, writes part of the file, and dies with its lease run out.
      const claimed = await store.downloads.claim('dead-worker', 0, 1);
      assert.equal(claimed?.id, data.id);
      assert.ok(await store.downloads.writeChunk(data.id, 'dead-worker', 0, new TextEncoder().encode('partial'), 1));
      assert.equal((await job(a, data.id)).status, 'running');
      const expected = (await a.request('GET', a.oss(`/flow_runs/${run.id}/logs/download`))).body;
      b = await sharing(engine, a);
      await completed(b, data.id);
      assert.equal((await b.request('GET', v1(b, `/file-downloads/${data.id}/file`))).body, expected);
      assert.equal(
        await store.downloads.finish(data.id, 'dead-worker', { error: 'late' }),
        false,
        'the dead worker lost its lease',
      );
    } finally {
      await a.close();
      await b?.close();
    }
  });

  it('expires files after --download-ttl', async () => {
    const s = await startServer(engine, { 'download-ttl': '1s' });
    try {
      const run = await runWithLogs(s, 5);
      const { data } = await queue(s, run.id);
      await completed(s, data.id);
      // The worker drops expired files on its rounds (within half the lifetime).
      await until(
        'the download to expire',
        () => job(s, data.id),
        (j) => j.status === 'expired',
      );
      const gone = await s.request('GET', v1(s, `/file-downloads/${data.id}/file`));
      assert.equal(gone.statusCode, 410);
      assert.equal(gone.json().code, 'gone');
    } finally {
      await s.close();
    }
  });
});

forEngine('postgres', 'queued log downloads across instances', (engine) => {
  it('is queued through one instance, written and fetched through another', async () => {
    const a = await startServer(engine, { 'no-download-worker': 'true' });
    const b = await sharing(engine, a);
    try {
      const run = await runWithLogs(a, 300);
      const { data } = await queue(a, run.id);
      await completed(b, data.id);
      const expected = (await b.request('GET', b.oss(`/flow_runs/${run.id}/logs/download`))).body;
      assert.equal((await a.request('GET', v1(a, `/file-downloads/${data.id}/file`))).body, expected);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
