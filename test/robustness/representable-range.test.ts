/**
 * Issue 13, defects 2 and 5: every time Sightline accepts lies in 1700-01-01 … 2199-12-31 (UTC),
 * the range both engines store and render exactly; outside it a 422 names the field, on every
 * resource and filter. The edges read back byte for byte. Rows stored before the range existed
 * (beyond ±2^53 µs) never turn reads, downloads or live streams into failures: they read clamped.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { uuid4, uuid7 } from '../../src/domain/ids.ts';
import type { NewLog } from '../../src/domain/logs.ts';
import { ev } from '../events/helpers.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { logItem } from '../helpers/logs.ts';
import { RunClient } from '../helpers/runs.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, wsUrl } from '../helpers/ws.ts';

const FIRST = '1700-01-01T00:00:00Z';
const LAST = '2199-12-31T23:59:59.999999Z';
const OUTSIDE = [
  '0001-01-01T00:00:00Z',
  '1699-12-31T23:59:59.999999Z',
  '2200-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
];
/** Far beyond 2^53 µs (year ~38,500), as an older version could have stored it. */
const FAR = 2 ** 60;
const CLAMPED = '2255-06-05T23:47:34.740991Z';

/** The locations of a 422's issues, dotted, from either error shape. */
function locs(r: { statusCode: number; body: string }): string[] {
  assert.equal(r.statusCode, 422, r.body);
  const b = JSON.parse(r.body);
  return (b.exception_detail ?? b.detail).map((i: { loc: (string | number)[] }) => i.loc.join('.'));
}

forEachEngine('times and integers stay in the representable range', (engine) => {
  let s: TestServer;
  let api: string;
  before(async () => {
    s = await startServer(engine);
    api = await s.listen();
  });
  after(() => s.close());

  it('rejects log and event times outside 1700–2199 with 422 naming the field', async () => {
    for (const t of OUTSIDE) {
      assert.deepEqual(
        locs(await s.request('POST', s.oss('/logs/'), [logItem({ timestamp: t })])),
        ['body.0.timestamp'],
        t,
      );
      assert.deepEqual(
        locs(await s.request('POST', s.cloud('/events'), [ev({ occurred: t })])),
        ['body.0.occurred'],
        t,
      );
      assert.deepEqual(locs(await s.request('POST', s.oss('/logs/filter'), { logs: { timestamp: { before_: t } } })), [
        'body.logs.timestamp.before_',
      ]);
      assert.deepEqual(locs(await s.request('POST', s.oss('/events/filter'), { filter: { occurred: { since: t } } })), [
        'body.filter.occurred.since',
      ]);
      assert.deepEqual(
        locs(await s.request('GET', s.oss(`/flow_runs/${uuid4()}/logs?since=${encodeURIComponent(t)}`))),
        ['query.since'],
      );
    }
  });

  it('rejects out-of-range times of runs, states and their filters', async () => {
    const c = new RunClient(s);
    const flow = await c.flow('range-flow');
    const bad = { type: 'SCHEDULED', state_details: { scheduled_time: OUTSIDE[3] } };
    const r = await s.request('POST', s.oss('/flow_runs/'), { flow_id: flow.id, state: bad });
    assert.deepEqual(locs(r), ['body.state.state_details.scheduled_time']);
    const run = await c.run(flow.id);
    assert.deepEqual(locs(await s.request('POST', s.oss(`/flow_runs/${run.id}/set_state`), { state: bad })), [
      'body.state.state_details.scheduled_time',
    ]);
    const f = await s.request('POST', s.oss('/flow_runs/filter'), {
      flow_runs: { start_time: { after_: OUTSIDE[0] } },
    });
    assert.deepEqual(locs(f), ['body.flow_runs.start_time.after_']);
  });

  it('rejects integers beyond their bound: level, page, limit, offset', async () => {
    for (const level of [2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 63, 1e308, -1e308]) {
      assert.deepEqual(
        locs(
          await s.request(
            'POST',
            s.oss('/logs/'),
            `[{"name":"n","level":${level},"message":"m","timestamp":"${FIRST}"}]`,
          ),
        ),
        ['body.0.level'],
      );
      assert.deepEqual(locs(await s.request('POST', s.oss('/logs/filter'), `{"logs":{"level":{"ge_":${level}}}}`)), [
        'body.logs.level.ge_',
      ]);
    }
    for (const q of ['page=1e308', 'page=99999999999999999999999', 'page=9007199254740993', 'limit=1e308']) {
      assert.equal((await s.request('GET', s.oss(`/tags?${q}`))).statusCode, 422, q);
    }
    assert.equal((await s.request('POST', s.oss('/flow_runs/filter'), { offset: 2 ** 53 })).statusCode, 422);
  });

  it('reads the first and last representable instants back exactly', async () => {
    const run = uuid4();
    await s.request('POST', s.oss('/logs/'), [
      logItem({ timestamp: FIRST, flow_run_id: run, message: 'first' }),
      logItem({ timestamp: LAST, flow_run_id: run, message: 'last' }),
    ]);
    const logs = JSON.parse((await s.request('GET', s.oss(`/flow_runs/${run}/logs`))).body);
    assert.deepEqual(
      logs.map((l: { timestamp: string }) => l.timestamp),
      [FIRST, LAST],
    );
    const events = [ev({ occurred: FIRST, event: 'range.first' }), ev({ occurred: LAST, event: 'range.last' })];
    assert.equal((await s.request('POST', s.cloud('/events'), events)).statusCode, 204);
    const page = JSON.parse(
      (
        await s.request('POST', s.cloud('/events/filter'), {
          filter: { event: { prefix: ['range.'] }, occurred: { since: FIRST, until: LAST }, order: 'ASC' },
        })
      ).body,
    );
    assert.deepEqual(
      page.events.map((e: { occurred: string }) => e.occurred),
      [FIRST, LAST],
    );
  });

  it('keeps reading, downloading and streaming when a row beyond 2^53 µs was stored earlier', async () => {
    const run = uuid4();
    const bad: NewLog = {
      workspaceId: s.workspaceId,
      id: uuid7(),
      created: FAR,
      name: 'old.version',
      level: 20,
      message: 'stored by an older Sightline',
      timestamp: FAR,
      flow_run_id: run,
      task_run_id: null,
      worker_id: null,
    };
    await s.app.store.logs.append([bad, { ...bad, id: uuid7(), timestamp: -FAR, message: 'and one before' }]);
    await s.app.store.events.append([
      {
        id: uuid7(),
        event: 'range.far',
        accountId: s.accountId,
        workspaceId: s.workspaceId,
        occurred: FAR,
        received: FAR,
        resourceId: 'x',
        resource: { 'prefect.resource.id': 'x' },
        related: [],
        payload: {},
        follows: null,
      },
    ]);

    const filter = await s.request('POST', s.oss('/logs/filter'), {
      logs: { flow_run_id: { any_: [run] } },
      sort: 'TIMESTAMP_DESC',
    });
    assert.equal(filter.statusCode, 200, filter.body);
    assert.deepEqual(
      JSON.parse(filter.body).map((l: { timestamp: string }) => l.timestamp),
      [CLAMPED, '1684-07-28T00:12:25.259009Z'],
    );
    for (const path of [`/flow_runs/${run}/logs`, '/observed-loggers']) {
      const r = await s.request('GET', s.oss(path));
      assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
    }
    const csv = await s.request('GET', s.oss(`/flow_runs/${run}/logs/download`));
    assert.equal(csv.statusCode, 200);
    assert.equal(csv.body.trim().split('\n').length, 3, csv.body);
    const events = await s.request('POST', s.oss('/events/filter'), {
      filter: { occurred: { since: FIRST, until: LAST } },
    });
    assert.equal(events.statusCode, 200, events.body);
    const count = await s.request('POST', s.oss('/events/count-by/event'), { filter: {} });
    assert.equal(count.statusCode, 200, count.body);

    // The live tail still delivers what comes next.
    const sock = await openSocket(wsUrl(api, '/logs/out'));
    sock.send({ type: 'filter', filter: { flow_run_id: { any_: [run] } } });
    // The filter is applied once the socket has read it: post until one arrives.
    for (let i = 0; i < 120 && !sock.messages.length; i++) {
      await s.request('POST', s.oss('/logs/'), [logItem({ flow_run_id: run, message: `after ${i}` })]);
      await sock.until(() => sock.messages.length > 0, 1000, 'a live log').catch(() => {});
    }
    assert.match(sock.messages[0].log.message, /^after /);
    sock.ws.close();
  });
});
