/** The first log operations through HTTP, on both path families and every engine. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { LOG_FIELDS } from '../helpers/logs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const RUN_A = '6a7c5b1e-2b1f-4d2a-9a1e-1d2c3b4a5f60';
const RUN_B = '7b8d6c2f-3c20-4e3b-8b2f-2e3d4c5b6a71';
const TASK = '0193b4a0-0000-7000-8000-000000000001';
const WORKER = '0193b4a0-0000-7000-8000-0000000000aa';

const logs = [
  {
    name: 'prefect.flow_runs',
    level: 20,
    message: 'Beginning flow run',
    timestamp: '2024-05-01T12:00:00Z',
    flow_run_id: RUN_A,
    task_run_id: null,
  },
  {
    name: 'prefect.task_runs',
    level: 40,
    message: 'Connection timeout to DB',
    timestamp: '2024-05-01T12:00:01.5Z',
    flow_run_id: RUN_A,
    task_run_id: TASK,
  },
  {
    name: 'etl.extract',
    level: 30,
    message: 'slow "query" detected',
    timestamp: '2024-05-01T14:00:02+02:00',
    flow_run_id: RUN_A,
    task_run_id: TASK,
  },
  {
    name: 'prefect.flow_runs',
    level: 10,
    message: 'debug detail',
    timestamp: '2024-05-01T12:00:03Z',
    flow_run_id: RUN_B,
  },
  { name: 'worker', level: 20, message: 'worker says hi', timestamp: '2024-05-01T12:00:04', worker_id: WORKER },
];

const body = (r: { body: string }) => JSON.parse(r.body);
const messages = (r: { body: string }) => body(r).map((l: { message: string }) => l.message);

forEachEngine('log API', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
    const r = await s.request('POST', s.oss('/logs/'), logs);
    assert.equal(r.statusCode, 201);
  });
  after(() => s.close());

  for (const family of ['oss', 'cloud'] as const) {
    const path = (p: string) => (family === 'oss' ? s.oss(p) : s.cloud(p));
    const filter = (b: unknown) => s.request('POST', path('/logs/filter'), b);

    describe(`${family} paths`, () => {
      it('renders logs as Prefect does', async () => {
        const r = await filter({ logs: { flow_run_id: { any_: [RUN_A] } } });
        assert.equal(r.statusCode, 200);
        const [first, second] = body(r);
        assert.equal(first.timestamp, '2024-05-01T12:00:00Z');
        assert.equal(second.timestamp, '2024-05-01T12:00:01.500000Z');
        assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.match(first.created, /Z$/);
        assert.deepEqual(Object.keys(first).sort(), LOG_FIELDS);
        assert.equal(first.task_run_id, null);
      });

      it('honours time zones and naive timestamps as UTC', async () => {
        const r = await filter({ logs: { loggers: { any_: ['etl.extract', 'worker'] } } });
        assert.deepEqual(
          body(r).map((l: { timestamp: string }) => l.timestamp),
          ['2024-05-01T12:00:02Z', '2024-05-01T12:00:04Z'],
        );
      });

      it('filters by every field', async () => {
        assert.deepEqual(messages(await filter({ logs: { level: { ge_: 30 } } })), [
          'Connection timeout to DB',
          'slow "query" detected',
        ]);
        assert.deepEqual(messages(await filter({ logs: { level: { le_: 10 } } })), ['debug detail']);
        assert.deepEqual(
          messages(
            await filter({
              logs: { timestamp: { after_: '2024-05-01T12:00:01.5Z', before_: '2024-05-01T12:00:03Z' } },
            }),
          ),
          ['Connection timeout to DB', 'slow "query" detected', 'debug detail'],
          'bounds are inclusive',
        );
        assert.deepEqual(messages(await filter({ logs: { flow_run_id: { any_: [RUN_B] } } })), ['debug detail']);
        assert.deepEqual(messages(await filter({ logs: { task_run_id: { any_: [TASK] }, level: { ge_: 40 } } })), [
          'Connection timeout to DB',
        ]);
        const seeded = { before_: '2024-05-01T23:00:00Z' };
        assert.equal(body(await filter({ logs: { task_run_id: { is_null_: true }, timestamp: seeded } })).length, 3);
        assert.deepEqual(messages(await filter({ logs: { worker_id: { any_: [WORKER] } } })), ['worker says hi']);
        assert.deepEqual(messages(await filter({ logs: { worker_id: { is_null_: false } } })), ['worker says hi']);
        assert.equal(body(await filter({ logs: { worker_id: { not_any_: [WORKER] }, timestamp: seeded } })).length, 4);
        assert.deepEqual(messages(await filter({ logs: { loggers: { any_: ['etl.extract'] } } })), [
          'slow "query" detected',
        ]);
        assert.deepEqual(
          messages(await filter({ logs: { operator: 'or_', level: { ge_: 40 }, flow_run_id: { any_: [RUN_B] } } })),
          ['Connection timeout to DB', 'debug detail'],
        );
      });

      it('searches text with Prefect grammar over message and logger name', async () => {
        const q = async (query: string) => messages(await filter({ logs: { text: { query } } }));
        assert.deepEqual(await q('timeout'), ['Connection timeout to DB']);
        assert.deepEqual(await q('TIMEOUT hi'), ['Connection timeout to DB', 'worker says hi']);
        assert.deepEqual(await q('prefect -flow_runs'), ['Connection timeout to DB']);
        assert.deepEqual(await q('+prefect +debug'), ['debug detail']);
        assert.deepEqual(await q('"\\"query\\" detected"'), ['slow "query" detected']);
        assert.deepEqual(await q('extract'), ['slow "query" detected']);
        await s.app.indexer.catchUp();
        assert.deepEqual(await q('timeout'), ['Connection timeout to DB'], 'same answer once indexed');
      });

      it('sorts, limits and offsets', async () => {
        const logs = { timestamp: { before_: '2024-05-01T23:00:00Z' } };
        const asc = messages(await filter({ logs }));
        assert.equal(asc.length, 5);
        assert.deepEqual(messages(await filter({ logs, sort: 'TIMESTAMP_DESC' })), [...asc].reverse());
        assert.deepEqual(messages(await filter({ logs, limit: 2, offset: 1 })), asc.slice(1, 3));
        assert.deepEqual(body(await filter({ limit: 0 })), []);
      });

      it('treats explicit nulls as absent, as the Prefect client sends them', async () => {
        const r = await filter({
          logs: {
            operator: 'and_',
            level: null,
            timestamp: null,
            flow_run_id: { any_: [RUN_A] },
            task_run_id: null,
            text: null,
          },
          limit: 200,
          offset: null,
          sort: null,
        });
        assert.equal(body(r).length, 3);
      });

      it('rejects bad filters with a 422 naming the field', async () => {
        const cases: [unknown, (string | number)[]][] = [
          [{ limit: 201 }, ['body', 'limit']],
          [{ limit: -1 }, ['body', 'limit']],
          [{ offset: -1 }, ['body', 'offset']],
          [{ sort: 'NAME_ASC' }, ['body', 'sort']],
          [{ logs: { level: { ge_: 'high' } } }, ['body', 'logs', 'level', 'ge_']],
          [{ logs: { name: { any_: ['x'] } } }, ['body', 'logs', 'name']],
          [{ logs: { flow_run_id: { any_: ['not-a-uuid'] } } }, ['body', 'logs', 'flow_run_id', 'any_', 0]],
          [{ logs: { timestamp: { after_: 'yesterday' } } }, ['body', 'logs', 'timestamp', 'after_']],
          [{ logs: { text: { query: 'x'.repeat(201) } } }, ['body', 'logs', 'text', 'query']],
          [{ logs: { operator: 'xor' } }, ['body', 'logs', 'operator']],
          [{ unknown: true }, ['body', 'unknown']],
        ];
        for (const [b, loc] of cases) {
          const r = await filter(b);
          assert.equal(r.statusCode, 422, JSON.stringify(b));
          const e = body(r);
          if (family === 'oss') {
            assert.equal(e.exception_message, 'Invalid request received.');
            assert.deepEqual(e.exception_detail[0].loc, loc);
            assert.deepEqual(e.request_body, b);
          } else {
            assert.deepEqual(e.detail[0].loc, loc);
            assert.equal(typeof e.detail[0].msg, 'string');
            assert.equal(typeof e.detail[0].type, 'string');
          }
        }
      });

      it('caps offset at 20,000 on Cloud paths only', async () => {
        const r = await filter({ offset: 20_001 });
        assert.equal(r.statusCode, family === 'cloud' ? 422 : 200);
      });

      it('rejects an invalid batch whole, naming the item', async () => {
        const marker = `batch-${family}`;
        const r = await s.request('POST', path('/logs/'), [
          { name: 'x', level: 20, message: marker, timestamp: '2024-05-02T00:00:00Z' },
          { name: 'x', level: 'INFO', message: marker, timestamp: '2024-05-02T00:00:00Z' },
        ]);
        assert.equal(r.statusCode, 422);
        const loc = family === 'oss' ? body(r).exception_detail[0].loc : body(r).detail[0].loc;
        assert.deepEqual(loc, ['body', 1, 'level']);
        assert.deepEqual(messages(await filter({ logs: { text: { query: marker } } })), []);
        for (const bad of [
          [{ name: 'x', level: 20, message: 'm', timestamp: '2024-05-02T00:00:00Z', extra: 1 }],
          [{ name: 'x', level: 20, message: 'm' }],
          [{ name: 'x', level: 20, message: 'm', timestamp: '2024-05-02T00:00:00Z', flow_run_id: 'nope' }],
          { name: 'not an array' },
          '[{"broken json',
        ]) {
          assert.equal((await s.request('POST', path('/logs/'), bad)).statusCode, 422, JSON.stringify(bad));
        }
      });

      it('acknowledges a batch as Prefect does and strips NUL characters', async () => {
        const r = await s.request('POST', path('/logs/'), [
          { name: 'nul\u0000logger', level: 20, message: `nul\u0000${family}`, timestamp: '2024-05-03T00:00:00Z' },
        ]);
        if (family === 'oss') {
          assert.equal(r.statusCode, 201);
          assert.equal(r.body, 'null');
        } else {
          assert.equal(r.statusCode, 202);
        }
        const [l] = body(await filter({ logs: { text: { query: `nul${family}` } } }));
        assert.equal(l.message, `nul${family}`);
        assert.equal(l.name, 'nullogger');
      });
    });
  }

  it('accepts the Prefect client recorded bodies and reads them back', async () => {
    const t = JSON.parse(
      readFileSync(new URL('../fixtures/prefect-client-transcripts/flow-with-retry.json', import.meta.url), 'utf8'),
    );
    const calls = t.http.filter((c: { request: { path: string } }) => c.request.path.startsWith('/api/logs/'));
    for (const c of calls) {
      const r = await s.request(c.request.method, c.request.path, c.request.body);
      assert.equal(r.statusCode, c.response.status);
      const expected = c.response.body;
      if (Array.isArray(expected) && expected.length) {
        const got = body(r);
        const pick = (l: Record<string, unknown>) => [
          l.name,
          l.level,
          l.message,
          l.timestamp,
          l.flow_run_id,
          l.task_run_id,
        ];
        assert.deepEqual(got.map(pick), expected.map(pick));
      }
    }
  });

  it('keeps workspaces apart', async () => {
    const created = await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, {
      name: 'Team B',
      handle: 'team-b',
    });
    assert.equal(created.statusCode, 201);
    const ws = body(created);
    assert.equal(ws.account_id, s.accountId);
    assert.equal(ws.workspace_handle, 'team-b');
    const other = ws.workspace_id;
    assert.equal(
      (
        await s.request('POST', s.cloud('/logs/', other), [
          { name: 'b', level: 20, message: 'only in B', timestamp: '2024-05-01T00:00:00Z' },
        ])
      ).statusCode,
      202,
    );
    assert.deepEqual(messages(await s.request('POST', s.cloud('/logs/filter', other), {})), ['only in B']);
    const inA = messages(await s.request('POST', s.oss('/logs/filter'), { logs: { text: { query: '"only in B"' } } }));
    assert.deepEqual(inA, []);
    const list = body(await s.request('GET', '/api/me/workspaces'));
    assert.deepEqual(list.map((w: { workspace_handle: string }) => w.workspace_handle).sort(), ['default', 'team-b']);
    assert.equal(
      (await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, { name: 'dup', handle: 'team-b' }))
        .statusCode,
      409,
    );
    assert.equal(
      (await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, { name: 'bad', handle: 'Not OK' }))
        .statusCode,
      422,
    );
  });

  it('answers 404 for unknown workspaces, accounts and paths', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r = await s.request('POST', s.cloud('/logs/filter', unknown), {});
    assert.equal(r.statusCode, 404);
    assert.deepEqual(body(r), { detail: 'Workspace not found' });
    const nonUuid = await s.request('POST', `/api/accounts/${s.accountId}/workspaces/nope/logs/filter`, {});
    assert.deepEqual([nonUuid.statusCode, body(nonUuid)], [404, { detail: 'Not Found' }]);
    const acct = await s.request('POST', `/api/accounts/${unknown}/workspaces/`, { name: 'x', handle: 'x' });
    assert.equal(acct.statusCode, 404);
    const path = await s.request('GET', '/api/no/such/route');
    assert.deepEqual([path.statusCode, body(path)], [404, { detail: 'Not Found' }]);
  });
});
