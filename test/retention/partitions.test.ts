/**
 * PostgreSQL retention by whole partitions: days older than the longest retention in force are
 * emptied and dropped (the catalog shows them gone, and no rows deleted from the partitions
 * that stay), rows under a shorter workspace setting go by rows, derived answers stay true, and
 * the sweep creates the next days' partitions ahead. A day whose drop cannot have the parent
 * table's lock (a writer holds it) is still emptied at once, and dropped by a later sweep.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { ev } from '../events/helpers.ts';
import { forEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const DAY = 86_400_000;

const dayName = (table: string, ms: number) =>
  `${table}_d${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')}`;

forEngine('postgres', 'retention by partitions', (engine) => {
  let s: TestServer;
  let db: pg.Client;
  const now = Date.now();
  let wsB: string;

  before(async () => {
    s = await startServer(engine, { 'retention-logs': '2d', 'retention-events': '2d' }, { clock: () => now * 1000 });
    db = new pg.Client({ connectionString: s.config.db });
    await db.connect();
    wsB = (
      await s.request('POST', `/api/accounts/${s.accountId}/workspaces/`, { name: 'Short', handle: 'short' })
    ).json().workspace_id;
    await s.app.store.retention.setSettings(wsB, { logs: 3600, events: null, runs: null });
    const at = (ago: number) => new Date(now - ago).toISOString();
    const logs = (name: string) =>
      [10 * DAY, 5 * DAY, 5 * DAY + 1000, DAY].map((ago) => ({
        name,
        level: 30,
        message: `m ${ago}`,
        timestamp: at(ago),
      }));
    assert.equal((await s.request('POST', s.oss('/logs/'), logs('a'))).statusCode, 201);
    assert.equal((await s.request('POST', s.cloud('/logs/', wsB), logs('b'))).statusCode, 202, 'Cloud answers 202');
    const events = [10 * DAY, 5 * DAY, DAY].map((ago) => ev({ event: 'p.e', occurred: at(ago) }));
    assert.equal((await s.request('POST', s.oss('/events'), events)).statusCode, 204);
  });
  after(async () => {
    await db?.end();
    await s?.close();
  });

  const exists = async (name: string) => Boolean((await db.query('SELECT to_regclass($1) AS r', [name])).rows[0].r);

  it('drops whole expired days, deletes rows only under a shorter setting, keeps answers true', async () => {
    for (const ago of [10 * DAY, 5 * DAY, DAY])
      for (const t of ['logs', 'logs_text', 'events'])
        assert.ok(await exists(dayName(t, now - ago)), dayName(t, now - ago));
    const sweeps = await s.app.retention.sweepNow();
    assert.ok(sweeps, 'the sweep ran');
    for (const ago of [10 * DAY, 5 * DAY])
      for (const t of ['logs', 'logs_text', 'events'])
        assert.equal(await exists(dayName(t, now - ago)), false, `${dayName(t, now - ago)} dropped`);
    assert.ok(await exists(dayName('logs', now - DAY)), 'the day inside the window stays');
    // The partition that stays lost rows only of the workspace with a shorter setting.
    const stats = await db.query('SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = $1', [
      dayName('events', now - DAY),
    ]);
    assert.equal(Number(stats.rows[0]?.n_tup_del ?? 0), 0, 'no event rows deleted');
    const a = sweeps?.find((w) => w.workspaceId === s.workspaceId);
    const b = sweeps?.find((w) => w.workspaceId === wsB);
    assert.deepEqual([a?.removed.logs, a?.removed.events, a?.partitions.logs], [3, 2, 2]);
    assert.equal(b?.removed.logs, 4, 'three in dropped days, one by rows');
    const left = async (path: string) => (await s.request('POST', path, { limit: 200 })).json() as { name: string }[];
    assert.equal((await left(s.oss('/logs/filter'))).length, 1);
    assert.equal((await left(s.cloud('/logs/filter', wsB))).length, 0);
    const loggers = (await s.request('GET', s.oss('/observed-loggers'))).json();
    assert.deepEqual(
      loggers.map((l: { logger_name: string; count: number; first_seen: string }) => [
        l.logger_name,
        l.count,
        Date.parse(l.first_seen),
      ]),
      [['a', 1, now - DAY]],
    );
    assert.deepEqual((await s.request('GET', s.cloud('/observed-loggers', wsB))).json(), []);
    const counts = (
      await s.request('POST', s.oss('/events/count-by/event'), {
        filter: { occurred: { since: new Date(now - 20 * DAY).toISOString(), until: new Date(now).toISOString() } },
      })
    ).json();
    assert.deepEqual(
      counts.map((r: { value: string; count: number }) => [r.value, r.count]).filter(([v]: [string]) => v === 'p.e'),
      [['p.e', 1]],
    );
    for (const ahead of [1, 2])
      assert.ok(await exists(dayName('logs', now + ahead * DAY)), `day +${ahead} created ahead`);
  });

  it('empties an expired day while a writer holds the parent table, and drops it at a later sweep', async () => {
    const old = now - 7 * DAY;
    const posted = await s.request('POST', s.oss('/logs/'), [
      { name: 'late', level: 40, message: 'arrived old', timestamp: new Date(old).toISOString() },
    ]);
    assert.equal(posted.statusCode, 201);
    assert.ok(await exists(dayName('logs', old)));
    // What an insert in flight holds on the parent (ONLY: not its partitions): detaching conflicts
    // with it, truncating a day does not.
    const writer = new pg.Client({ connectionString: s.config.db });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('LOCK TABLE ONLY logs IN ROW EXCLUSIVE MODE');
      const first = await s.app.retention.sweepNow();
      const a = first?.find((w) => w.workspaceId === s.workspaceId);
      assert.equal(a?.removed.logs, 1, 'the day was emptied');
      assert.ok(await exists(dayName('logs', old)), 'its drop waits for the lock');
      assert.equal(Number((await db.query(`SELECT count(*) AS n FROM ${dayName('logs', old)}`)).rows[0].n), 0);
      const logs = (await s.request('POST', s.oss('/logs/filter'), { limit: 200 })).json() as { name: string }[];
      assert.deepEqual(
        logs.map((l) => l.name),
        ['a'],
      );
      const loggers = (await s.request('GET', s.oss('/observed-loggers'))).json() as { logger_name: string }[];
      assert.deepEqual(
        loggers.map((l) => l.logger_name),
        ['a'],
      );
    } finally {
      await writer.query('ROLLBACK').catch(() => {});
      await writer.end();
    }
    await s.app.retention.sweepNow();
    for (const t of ['logs', 'logs_text'])
      assert.equal(await exists(dayName(t, old)), false, `${t} of the day dropped`);
  });
});
