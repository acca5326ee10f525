/**
 * Retention through the public surfaces, on both engines: a sweep (moved in time by an injected
 * clock, never by waiting) over data built for the edges, then every derived answer the HTTP API
 * serves — observed loggers of the workspace and of a trace, per-run log counters, tags, count-by,
 * a run's events, text search — compared with a recomputation from the rows that remain; the
 * settings, the last sweep and the admin commands.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ev, related } from '../events/helpers.ts';
import { run } from '../helpers/cli.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

type Log = { id: string; name: string; timestamp: string; flow_run_id: string | null; level: number; message: string };
type Event = {
  id: string;
  event: string;
  occurred: string;
  resource: Record<string, string>;
  related: Record<string, string>[];
};

forEachEngine('retention', (engine) => {
  let s: TestServer;
  const base = Date.now();
  // The sweeps' clock starts well before the data, so that the first sweep finds nothing old enough.
  let nowMs = base - 6 * 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const ids: Record<string, string> = {};

  before(async () => {
    s = await startServer(
      engine,
      {
        'retention-logs': '1h',
        'retention-events': '1h',
        'retention-runs': '2h',
        'retention-events-override': 'keep.=30d,short.=10m',
        'retention-batch': '3',
      },
      { clock: () => nowMs * 1000 },
    );
    const flow = (await s.request('POST', s.oss('/flows/'), { name: 'retained' })).json();
    const newRun = async (state?: string) => {
      const r = (await s.request('POST', s.oss('/flow_runs/'), { flow_id: flow.id, name: 'r' })).json();
      if (state) {
        await s.request('POST', s.oss(`/flow_runs/${r.id}/set_state`), { state: { type: 'RUNNING' } });
        if (state !== 'RUNNING')
          await s.request('POST', s.oss(`/flow_runs/${r.id}/set_state`), { state: { type: state } });
      }
      return r.id as string;
    };
    ids.done = await newRun('COMPLETED');
    ids.running = await newRun('RUNNING');
    const log = (name: string, agoMs: number, over: Partial<Log> = {}) => ({
      name,
      level: 20,
      message: `msg ${name} ${agoMs}`,
      timestamp: iso(base - agoMs),
      flow_run_id: null,
      ...over,
    });
    const logs = [
      // A run whose logs straddle the cutoff (sweeps run 3 h later: logs older than base + 2 h go).
      log('straddle', 30 * MIN, { flow_run_id: ids.running, level: 40 }),
      log('straddle', -(3 * HOUR), { flow_run_id: ids.running }),
      log('straddle', 2 * HOUR, { flow_run_id: ids.running, level: 30 }),
      // A logger whose only rows expire.
      log('only.old', 5 * HOUR),
      log('only.old', 4 * HOUR, { flow_run_id: ids.running }),
      log('recent', -(2.5 * HOUR)),
      // The finished run's logs go with it, whatever their age.
      log('done', -(2.9 * HOUR), { flow_run_id: ids.done }),
    ];
    assert.equal((await s.request('POST', s.oss('/logs/'), logs)).statusCode, 201);
    const tag = (n: string) => related(`prefect.tag.${n}`, 'tag');
    const res = (id: string) => ({ 'prefect.resource.id': id, 'prefect.resource.name': id });
    const evs = [
      // Around the hour boundary of the cutoff (base + 2 h).
      ...[-5, -1, 1, 5].map((m) =>
        ev({
          event: 'evt.edge',
          occurred: iso(base + 2 * HOUR + m * MIN),
          resource: res('res.edge'),
          related: [tag('edge')],
        }),
      ),
      ev({ event: 'evt.old', occurred: iso(base - HOUR), resource: res('res.old'), related: [tag('old-only')] }),
      // Overrides: longer (kept) and shorter (gone though recent).
      ev({ event: 'keep.me', occurred: iso(base - 10 * HOUR), resource: res('res.keep') }),
      ev({ event: 'short.lived', occurred: iso(base + 2.7 * HOUR), resource: res('res.short') }),
      ev({ event: 'short.lived', occurred: iso(base + 2.95 * HOUR), resource: res('res.short') }),
      ev({
        event: 'prefect.flow-run.Running',
        occurred: iso(base - 2 * HOUR),
        resource: res(`prefect.flow-run.${ids.running}`),
      }),
      ev({
        event: 'prefect.flow-run.Running',
        occurred: iso(base + 2.5 * HOUR),
        resource: res(`prefect.flow-run.${ids.running}`),
        related: [tag('edge')],
      }),
    ];
    assert.equal((await s.request('POST', s.oss('/events'), evs)).statusCode, 204);
  });
  after(() => s?.close());

  const json = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const r = await s.request(method, url, body);
    assert.equal(r.statusCode, 200, `${method} ${url}: ${r.body}`);
    return r.json();
  };
  const allLogs = async (): Promise<Log[]> => json('POST', s.oss('/logs/filter'), { limit: 200 });
  const allEvents = async (): Promise<Event[]> =>
    (
      await json('POST', s.oss('/events/filter'), {
        filter: { occurred: { since: iso(base - 30 * 24 * HOUR), until: iso(base + 30 * 24 * HOUR) } },
        limit: 50,
      })
    ).events;

  /** Every derived answer the API serves, against a recomputation from the remaining rows. */
  async function assertConsistent(): Promise<void> {
    const logs = await allLogs();
    const loggers = (rows: Log[]) => {
      const by = new Map<string, { logger_name: string; count: number; first_seen: string; last_seen: string }>();
      for (const l of rows) {
        const t = iso(Date.parse(l.timestamp)).replace('.000Z', 'Z');
        const e = by.get(l.name) ?? { logger_name: l.name, count: 0, first_seen: t, last_seen: t };
        e.count++;
        if (t < e.first_seen) e.first_seen = t;
        if (t > e.last_seen) e.last_seen = t;
        by.set(l.name, e);
      }
      return [...by.values()].sort((a, b) => (a.logger_name < b.logger_name ? -1 : 1));
    };
    const norm = (rows: { first_seen: string; last_seen: string }[]) =>
      rows.map((r) => ({ ...r, first_seen: iso(Date.parse(r.first_seen)), last_seen: iso(Date.parse(r.last_seen)) }));
    assert.deepEqual(
      norm(await json('GET', s.oss('/observed-loggers?order_by=NAME_ASC'))),
      norm(loggers(logs)),
      'workspace loggers',
    );
    assert.deepEqual(
      norm(await json('GET', s.oss(`/traces/${ids.running}/observed-loggers?order_by=NAME_ASC`))),
      norm(loggers(logs.filter((l) => l.flow_run_id === ids.running))),
      'trace loggers',
    );
    const runLogs = await json('POST', s.oss('/logs/filter'), {
      logs: { flow_run_id: { any_: [ids.running] } },
      limit: 200,
    });
    assert.equal(runLogs.length, logs.filter((l) => l.flow_run_id === ids.running).length);
    const searched: Log[] = await json('POST', s.oss('/logs/filter'), { logs: { text: { query: 'msg' } }, limit: 200 });
    assert.deepEqual(searched.map((l) => l.id).sort(), logs.map((l) => l.id).sort(), 'text search');

    const events = await allEvents();
    const tags = new Map<string, string[]>();
    for (const e of events)
      for (const r of e.related)
        if (r['prefect.resource.role'] === 'tag')
          tags.set(r['prefect.resource.id'].slice('prefect.tag.'.length), [
            ...(tags.get(r['prefect.resource.id'].slice('prefect.tag.'.length)) ?? []),
            e.occurred,
          ]);
    const tagList = (await json('GET', s.oss('/tags?sort=NAME_ASC'))).results as {
      name: string;
      first_seen: string;
      last_seen: string;
    }[];
    assert.deepEqual(
      tagList.map((t) => [t.name, Date.parse(t.first_seen), Date.parse(t.last_seen)]),
      [...tags].sort().map(([name, at]) => [name, Math.min(...at.map(Date.parse)), Math.max(...at.map(Date.parse))]),
      'tags',
    );
    for (const [since, until] of [
      [base - 30 * 24 * HOUR, base + 30 * 24 * HOUR],
      [base + HOUR, base + 2 * HOUR + 3 * MIN],
      [base + 2 * HOUR, base + 3 * HOUR],
    ])
      for (const countable of ['event', 'resource']) {
        const rows = (await json('POST', s.oss(`/events/count-by/${countable}`), {
          filter: { occurred: { since: iso(since), until: iso(until) } },
        })) as { value: string; count: number }[];
        const inWindow = events.filter((e) => Date.parse(e.occurred) >= since && Date.parse(e.occurred) <= until);
        const expected = new Map<string, number>();
        for (const e of inWindow) {
          const k = countable === 'event' ? e.event : e.resource['prefect.resource.id'];
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
        assert.deepEqual(
          rows.map((r) => [r.value, r.count]).sort(),
          [...expected].sort(),
          `count-by ${countable} ${since}`,
        );
      }
    const runEvents = await json('GET', s.oss(`/flow_runs/${ids.running}/events`));
    const own = events.filter((e) => e.resource['prefect.resource.id'] === `prefect.flow-run.${ids.running}`);
    assert.equal((runEvents.events ?? runEvents).length, own.length, "a run's events");
  }

  it('keeps everything while nothing is old enough, then sweeps what expired and stays consistent', async () => {
    await assertConsistent();
    const first = await s.app.retention.sweepNow();
    assert.deepEqual(first?.find((w) => w.workspaceId === s.workspaceId)?.removed, {
      logs: 0,
      events: 0,
      runs: 0,
      spans: 0,
    });
    const before = await json('GET', s.oss('/admin/retention'));
    assert.deepEqual(before.settings, {
      logs: 3600,
      events: 3600,
      runs: 7200,
      events_overrides: [
        { prefix: 'short.', seconds: 600 },
        { prefix: 'keep.', seconds: 2_592_000 },
      ],
      workspace: { logs: null, events: null, runs: null },
    });
    const counted = { logs: (await allLogs()).length, events: (await allEvents()).length };
    // A page of events taken before the sweep: its page token still works after it.
    const window = { occurred: { since: iso(base - 30 * 24 * HOUR), until: iso(base + 30 * 24 * HOUR) } };
    const eventPage = await json('POST', s.oss('/events/filter'), { filter: window, limit: 2 });
    // Three hours later.
    nowMs = base + 3 * HOUR;
    const sweeps = await s.app.retention.sweepNow();
    const mine = sweeps?.find((w) => w.workspaceId === s.workspaceId);
    assert.ok(mine);
    const logs = await allLogs();
    assert.deepEqual(
      logs.map((l) => l.name).sort(),
      ['recent', 'straddle'],
      'logs older than 2 h ago (by the clock) and the finished run’s went',
    );
    assert.equal((await s.request('GET', s.oss(`/flow_runs/${ids.done}`))).statusCode, 404, 'finished run went');
    assert.equal((await s.request('GET', s.oss(`/flow_runs/${ids.running}`))).statusCode, 200, 'running run stays');
    const events = await allEvents();
    assert.deepEqual(events.map((e) => e.event).sort(), [
      'evt.edge',
      'evt.edge',
      'keep.me',
      'prefect.flow-run.Running',
      'short.lived',
    ]);
    // The server's own state-change events of the two runs (at the real time) went too, and the
    // finished run's log with it.
    assert.deepEqual(mine.removed, {
      logs: counted.logs - logs.length,
      events: counted.events - events.length,
      runs: 1,
      spans: 1,
    });
    await assertConsistent();
    const next = new URL(eventPage.next_page);
    const rest = await json('GET', next.pathname + next.search);
    // Newest first: the rest are remaining events at or before the page's last position.
    const remaining = new Set(events.map((e) => e.id));
    const last = Date.parse(eventPage.events[1].occurred);
    assert.ok(rest.events.length > 0);
    for (const e of rest.events as Event[]) {
      assert.ok(remaining.has(e.id), 'the page token continues past the removed events');
      assert.ok(Date.parse(e.occurred) <= last, 'after its position');
    }
    const status = await json('GET', s.cloud('/admin/retention'));
    assert.deepEqual(status.last_sweep.removed, mine.removed);
    assert.ok(status.next_sweep);
    // A second sweep at the same time finds nothing more.
    assert.deepEqual((await s.app.retention.sweepNow())?.find((w) => w.workspaceId === s.workspaceId)?.removed, {
      logs: 0,
      events: 0,
      runs: 0,
      spans: 0,
    });
  });

  it('a workspace setting wins over the flags (sightline workspaces set-retention), and retention run sweeps', async () => {
    const admin = (...args: string[]) =>
      run([...args, '--db', s.config.db], { SIGHTLINE_DB: undefined, SIGHTLINE_DATA_DIR: undefined });
    const set = await admin('workspaces', 'set-retention', 'default', '--logs', '1m', '--events', 'off', '--json');
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout.trim()), {
      workspace: 'default',
      logs: '60s',
      events: 'forever',
      runs: 'flag',
    });
    const bad = await admin('workspaces', 'set-retention', 'default', '--logs', 'soon');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--logs must be/);
    const status = await json('GET', s.oss('/admin/retention'));
    assert.deepEqual(status.settings.workspace, { logs: 60, events: 0, runs: null });
    assert.deepEqual([status.settings.logs, status.settings.events, status.settings.events_overrides], [60, 0, []]);
    // The commands read the real clock: two logs ten minutes old are past a minute's retention; the
    // others are hours ahead of it.
    const ahead = (await allLogs()).length;
    const old = ['a', 'b'].map((m) => ({ name: 'cli', level: 20, message: m, timestamp: iso(Date.now() - 10 * MIN) }));
    assert.equal((await s.request('POST', s.oss('/logs/'), old)).statusCode, 201);
    const dry = await admin('retention', 'run', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    const row = JSON.parse(dry.stdout.trim().split('\n')[0]);
    assert.equal(row.workspace, 'default');
    assert.equal(row.dry_run, true);
    assert.equal(row.logs, 2);
    assert.equal((await allLogs()).length, ahead + 2, 'a dry run removes nothing');
    const wet = await admin('retention', 'run');
    assert.equal(wet.code, 0, wet.stderr);
    assert.match(wet.stdout, /default: removed 2 logs, 0 events/);
    assert.equal((await allLogs()).length, ahead);
    await assertConsistent();
  });

  it('a queued download whose run went fails with a clear error', async () => {
    let clock = Date.now();
    const a = await startServer(
      engine,
      { 'no-download-worker': 'true', 'retention-runs': '1h' },
      { clock: () => clock * 1000 },
    );
    let b: TestServer | undefined;
    try {
      const flow = (await a.request('POST', a.oss('/flows/'), { name: 'downloaded' })).json();
      const runId = (await a.request('POST', a.oss('/flow_runs/'), { flow_id: flow.id, name: 'd' })).json().id;
      for (const type of ['RUNNING', 'COMPLETED'])
        await a.request('POST', a.oss(`/flow_runs/${runId}/set_state`), { state: { type } });
      await a.request('POST', a.oss('/logs/'), [
        { name: 'x', level: 20, message: 'm', timestamp: iso(Date.now()), flow_run_id: runId },
      ]);
      const queued = (await a.request('GET', a.oss(`/v1/flow-runs/${runId}/download`))).json().data;
      assert.equal(queued.status, 'queued');
      clock += 2 * HOUR;
      await a.app.retention.sweepNow();
      assert.equal((await a.request('GET', a.oss(`/flow_runs/${runId}`))).statusCode, 404);
      await a.close();
      b = await startServer(engine, { db: a.config.db, 'data-dir': a.config['data-dir'] });
      const url = b.oss(`/v1/file-downloads/${queued.id}`);
      const deadline = Date.now() + 60_000;
      let job = (await b.request('GET', url)).json().data;
      while (job.status !== 'failed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        job = (await b.request('GET', url)).json().data;
      }
      assert.equal(job.status, 'failed', JSON.stringify(job));
      assert.match(job.error, /flow run no longer exists/);
      const file = await b.request('GET', `${url}/file`);
      assert.equal(file.statusCode, 410);
      assert.match(file.body, /no longer exists/);
    } finally {
      await a.close();
      await b?.close();
    }
  });
});
