/**
 * PostgreSQL-only behaviour the shared conformance suite cannot reach: writers that commit out of
 * order, day partitions, and several stores (instances) on one database.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEngine } from '../../../test/helpers/engines.ts';
import { uuid7 } from '../../domain/ids.ts';
import type { LogQuery, NewLog } from '../../domain/logs.ts';
import { MICROS_PER_DAY, nowMicros } from '../../domain/time.ts';
import { flow, flowRun, state, T0 } from '../conformance/run-fixtures.ts';
import type { ChangeNotice, Store } from '../contract.ts';
import { openStore } from '../open.ts';
import { PgDb } from './db.ts';
import { PgLogs } from './logs.ts';
import { dayOf, partitionName } from './partitions.ts';
import { allocateSeqs, committedUpto } from './streams.ts';
import { PgTenancy } from './tenancy.ts';

function log(workspaceId: string, message: string, timestamp = nowMicros()): NewLog {
  return {
    workspaceId,
    id: uuid7(),
    created: nowMicros(),
    name: 'pg',
    level: 20,
    message,
    timestamp,
    flow_run_id: null,
    task_run_id: null,
    worker_id: null,
  };
}

const all = (over: Partial<LogQuery> = {}): LogQuery => ({
  filter: { operator: 'and_' },
  sort: 'TIMESTAMP_ASC',
  limit: 200,
  offset: 0,
  ...over,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forEngine('postgres', 'PostgreSQL engine', (engine) => {
  it('never announces or indexes past a writer that has not committed yet', async () => {
    const url = await engine.newDatabaseUrl();
    const store = await openStore({ url });
    const raw = new PgDb(url, 2);
    const c = await raw.pool.connect();
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      const ws = workspace.id;
      const notices: ChangeNotice[] = [];
      store.changes.subscribe((n) => notices.push(n));
      await sleep(100);
      // A slow writer takes a position first and holds it uncommitted.
      await c.query('BEGIN');
      const [held] = await allocateSeqs(c, 'logs', 1);
      const key = (await raw.one<{ ws: number }>('SELECT ws FROM workspaces WHERE id = $1', [ws]))!.ws;
      await c.query(
        `INSERT INTO logs (ws, seq, id, created, "timestamp", level, name, message) VALUES ($1, $2, $3, $4, $4, 20, 'pg', 'slow writer')`,
        [key, held, uuid7(), nowMicros()],
      );
      // A fast writer commits later positions and announces them.
      const fast = await store.logs.append([log(ws, 'fast writer')]);
      assert.ok(fast[0].seq > held);
      await store.changes.notify({ workspaceId: ws, stream: 'logs', maxSeq: fast[0].seq });
      await sleep(300);
      assert.ok((await committedUpto(raw, 'logs')) < held);
      assert.ok(
        notices.every((n) => n.maxSeq < held),
        'nothing at or past the uncommitted position is announced',
      );
      while ((await store.logs.indexText(100)) > 0);
      assert.equal(await store.logs.textIndexLag(), 1, 'the indexer waits for the slow writer');
      // Once the slow writer commits, the queued notice goes out and covers both rows.
      await c.query('COMMIT');
      const deadline = Date.now() + 5000;
      while (!notices.some((n) => n.maxSeq >= fast[0].seq) && Date.now() < deadline) await sleep(10);
      assert.ok(notices.some((n) => n.workspaceId === ws && n.maxSeq >= fast[0].seq));
      while ((await store.logs.indexText(100)) > 0);
      assert.equal(await store.logs.textIndexLag(), 0);
      const found = await store.logs.filter(ws, all({ filter: { operator: 'and_', text: { query: 'writer' } } }));
      assert.deepEqual(found.map((r) => r.message).sort(), ['fast writer', 'slow writer']);
    } finally {
      c.release();
      await raw.close();
      await store.close();
    }
  });

  it('keeps every announced position complete under concurrent writers on two stores', async () => {
    const url = await engine.newDatabaseUrl();
    const [a, b, watcher] = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
    try {
      const { workspace } = await a.tenancy.ensureDefaults();
      const ws = workspace.id;
      // At each notice, record which positions up to maxSeq are visible.
      const checks: Promise<{ upto: number; seqs: number[] }>[] = [];
      watcher.changes.subscribe((n) => {
        if (n.workspaceId !== ws) return;
        checks.push(
          watcher.logs.filter(ws, all({ limit: 10_000 })).then((rows) => ({
            upto: n.maxSeq,
            seqs: rows
              .map((r) => r.seq)
              .filter((s) => s <= n.maxSeq)
              .sort((x, y) => x - y),
          })),
        );
      });
      await sleep(100);
      const write = async (s: Store, i: number) => {
        const rows = await s.logs.append(Array.from({ length: 50 }, (_, j) => log(ws, `w${i}-${j}`)));
        await s.changes.notify({ workspaceId: ws, stream: 'logs', maxSeq: rows[rows.length - 1].seq });
        return rows;
      };
      const written = (await Promise.all(Array.from({ length: 20 }, (_, i) => write(i % 2 ? a : b, i)))).flat();
      const last = Math.max(...written.map((r) => r.seq));
      const deadline = Date.now() + 5000;
      while (!checks.length && Date.now() < deadline) await sleep(10);
      await sleep(200);
      const done = await Promise.all(checks);
      assert.ok(
        done.some((d) => d.upto >= last),
        'the last position is announced',
      );
      const final = new Set(written.map((r) => r.seq));
      for (const d of done) {
        const expected = [...final].filter((s) => s <= d.upto).sort((x, y) => x - y);
        assert.deepEqual(d.seqs, expected, `every row up to ${d.upto} was visible when it was announced`);
      }
    } finally {
      await Promise.all([a.close(), b.close(), watcher.close()]);
    }
  });

  it('stores rows in day partitions, and moves a day out of the default partition when it gets one', async () => {
    const url = await engine.newDatabaseUrl();
    const store = await openStore({ url });
    const raw = new PgDb(url, 2);
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      const ws = workspace.id;
      const now = nowMicros();
      const later = now + 20 * MICROS_PER_DAY; // beyond the creation window
      await store.logs.append([
        log(ws, 'today partition', now),
        log(ws, 'future partition', later),
        log(ws, 'old partition', now - 400 * MICROS_PER_DAY),
      ]);
      while ((await store.logs.indexText(100)) > 0);
      const where = async () =>
        new Map(
          (
            await raw.query<{ message: string; part: string }>(
              'SELECT message, tableoid::regclass::text AS part FROM logs',
            )
          ).map((r) => [r.message, r.part]),
        );
      let parts = await where();
      assert.equal(parts.get('today partition'), partitionName('logs', dayOf(now)));
      assert.equal(parts.get('future partition'), 'logs_default');
      assert.equal(parts.get('old partition'), 'logs_default');
      await (store.logs as PgLogs).partitions.createDay(dayOf(later));
      parts = await where();
      assert.equal(parts.get('future partition'), partitionName('logs', dayOf(later)));
      const text = await raw.query<{ part: string }>(
        "SELECT tableoid::regclass::text AS part FROM logs_text WHERE text LIKE 'future%'",
      );
      assert.deepEqual(
        text.map((r) => r.part),
        [partitionName('logs_text', dayOf(later))],
      );
      const found = await store.logs.filter(ws, all({ filter: { operator: 'and_', text: { query: 'partition' } } }));
      assert.deepEqual(
        found.map((r) => r.message),
        ['old partition', 'today partition', 'future partition'],
      );
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('keeps searches complete when a crash empties the unlogged text index, then rebuilds it', async () => {
    const url = await engine.newDatabaseUrl();
    const store = await openStore({ url });
    const raw = new PgDb(url, 1);
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      await store.logs.append([log(workspace.id, 'indexed before the crash'), log(workspace.id, 'another line')]);
      while ((await store.logs.indexText(100)) > 0);
      assert.equal(await store.logs.textIndexLag(), 0);
      // What crash recovery does to unlogged tables.
      await raw.query('TRUNCATE logs_text, text_index_state');
      assert.equal(await store.logs.textIndexLag(), 2);
      const search = async () =>
        (await store.logs.filter(workspace.id, all({ filter: { operator: 'and_', text: { query: 'crash' } } }))).map(
          (r) => r.message,
        );
      assert.deepEqual(await search(), ['indexed before the crash']);
      while ((await store.logs.indexText(100)) > 0);
      assert.equal(await store.logs.textIndexLag(), 0);
      assert.deepEqual(await search(), ['indexed before the crash']);
      assert.equal((await raw.one<{ n: number }>('SELECT count(*) AS n FROM logs_text'))!.n, 2);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('upgrades a version-1 database: day partitions get unlogged text-index partitions', async () => {
    const url = await engine.newDatabaseUrl();
    const raw = new PgDb(url, 1);
    try {
      const { migrations } = await import('./migrations/index.ts');
      await raw.query('CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)');
      await raw.query(migrations[0].sql);
      await raw.query("INSERT INTO meta VALUES ('schema_version', '1')");
      const day = dayOf(nowMicros());
      const lo = day * MICROS_PER_DAY;
      await raw.query(
        `CREATE TABLE ${partitionName('logs', day)} PARTITION OF logs FOR VALUES FROM (${lo}) TO (${lo + MICROS_PER_DAY})`,
      );
      const store = await openStore({ url });
      try {
        const parts = await raw.query<{ relname: string; relpersistence: string }>(
          "SELECT c.relname, c.relpersistence FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'logs_text'::regclass ORDER BY 1",
        );
        assert.ok(parts.some((p) => p.relname === partitionName('logs_text', day)));
        assert.ok(parts.some((p) => p.relname === 'logs_text_default'));
        assert.ok(
          parts.every((p) => p.relpersistence === 'u'),
          'every text-index partition is unlogged',
        );
        const { workspace } = await store.tenancy.ensureDefaults();
        await store.logs.append([log(workspace.id, 'after the upgrade')]);
        while ((await store.logs.indexText(100)) > 0);
        const found = await store.logs.filter(
          workspace.id,
          all({ filter: { operator: 'and_', text: { query: 'upgrade' } } }),
        );
        assert.deepEqual(
          found.map((r) => r.message),
          ['after the upgrade'],
        );
      } finally {
        await store.close();
      }
    } finally {
      await raw.close();
    }
  });

  it('re-listens after losing its LISTEN connection, with a catch-up notice for what it may have missed', async () => {
    const url = await engine.newDatabaseUrl();
    const store = await openStore({ url });
    const raw = new PgDb(url, 1);
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      const notices: ChangeNotice[] = [];
      store.changes.subscribe((n) => notices.push(n));
      const until = async (pred: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!pred() && Date.now() < deadline) await sleep(10);
        assert.ok(pred());
      };
      const listening = async () =>
        (
          await raw.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN sightline_changes' AND datname = current_database()",
          )
        ).map((r) => r.pid);
      const deadline = Date.now() + 5000;
      while (!(await listening()).length && Date.now() < deadline) await sleep(20);
      const [pid] = await listening();
      assert.ok(pid, 'one listening connection');
      // A write while the listener is gone: its notice is sent into the void.
      await raw.query('SELECT pg_terminate_backend($1)', [pid]);
      const [row] = await store.logs.append([log(workspace.id, 'while reconnecting')]);
      await store.changes.notify({ workspaceId: workspace.id, stream: 'logs', maxSeq: row.seq });
      await until(() => notices.some((n) => n.workspaceId === workspace.id && n.maxSeq >= row.seq));
      // And live again afterwards.
      const [next] = await store.logs.append([log(workspace.id, 'after reconnecting')]);
      await store.changes.notify({ workspaceId: workspace.id, stream: 'logs', maxSeq: next.seq });
      await until(() => notices.some((n) => n.maxSeq >= next.seq));
      assert.equal((await listening()).length, 1);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('adds up log statistics kept in several slots, and retention merges them into one', async () => {
    const url = await engine.newDatabaseUrl();
    const store = await openStore({ url });
    const raw = new PgDb(url, 1);
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      const ws = workspace.id;
      const etl = (await store.flows.upsert(ws, flow('etl'))).flow;
      const { run } = await store.flowRuns.create(ws, flowRun(etl.id), state('PENDING', T0));
      const at = (level: number, sec: number) => ({ ...log(ws, 'm', T0 + sec), flow_run_id: run.id, level });
      // Each batch's counts land in its connection's slot; move them away so the next batch adds a row.
      const moveSlots = () =>
        Promise.all(
          ['log_run_stats', 'log_loggers', 'log_run_loggers'].map((t) =>
            raw.query(`UPDATE ${t} SET slot = slot + 1 WHERE slot = (SELECT max(slot) FROM ${t})`),
          ),
        );
      await store.logs.append([at(30, 1), at(20, 2)]);
      await moveSlots();
      const [, late] = await store.logs.append([at(40, 0), at(20, 3)]);
      const rows = await raw.one<{ n: number }>('SELECT count(*)::int AS n FROM log_run_stats');
      assert.equal(rows!.n, 2, 'two slots of one run');
      assert.deepEqual(await store.logs.runStats(ws, run.id), { count: 4, maxSeq: late.seq, warnings: 1, errors: 1 });
      const logger = { name: 'pg', count: 4, firstSeen: T0, lastSeen: T0 + 3 };
      assert.deepEqual(await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10 }), [logger]);
      assert.deepEqual(await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10, flowRunIds: [run.id] }), [
        logger,
      ]);
      const listed = await store.flowRuns.list(ws, { descending: true, limit: 10, offset: 0, hasWarnings: true });
      assert.deepEqual(
        listed.rows.map((r) => [r.run.id, r.warnings, r.errors]),
        [[run.id, 1, 1]],
      );
      // Retention removes the oldest log (the error) and merges each key's slots into slot 0.
      assert.equal(await store.retention.deleteLogs(ws, T0 + 1, 10), 1);
      assert.deepEqual(await store.logs.runStats(ws, run.id), { count: 3, maxSeq: late.seq, warnings: 1, errors: 0 });
      for (const t of ['log_run_stats', 'log_loggers', 'log_run_loggers'])
        assert.deepEqual(await raw.query(`SELECT slot FROM ${t}`), [{ slot: 0 }], t);
      assert.deepEqual((await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10 }))[0], {
        ...logger,
        count: 3,
        firstSeen: T0 + 1,
      });
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('refuses a database migrated by a newer Sightline', async () => {
    const url = await engine.newDatabaseUrl();
    await (await openStore({ url })).close();
    const raw = new PgDb(url, 1);
    try {
      await raw.query("UPDATE meta SET value = '999' WHERE key = 'schema_version'");
      await assert.rejects(
        openStore({ url }),
        (err: { code?: string; message: string }) => err.code === 'schema_too_new' && /version 999/.test(err.message),
      );
    } finally {
      await raw.close();
    }
  });

  it('gives instances starting together on one database the same defaults and token secret', async () => {
    const url = await engine.newDatabaseUrl();
    const stores = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
    try {
      const defaults = await Promise.all(stores.map((s) => s.tenancy.ensureDefaults()));
      const secrets = await Promise.all(stores.map((s) => s.tenancy.tokenSecret()));
      assert.equal(new Set(defaults.map((d) => d.workspace.id)).size, 1);
      assert.equal(new Set(defaults.map((d) => d.account.id)).size, 1);
      assert.equal(new Set(secrets).size, 1);
      assert.equal((await stores[0].tenancy.listWorkspaces()).length, 1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

const QUERIES = [
  'needle',
  'alpha',
  'gamma -needle',
  '+beta +timeout',
  'db',
  '"100%"',
  'snake_case',
  'rare-token needle',
  '-alpha',
  // In logger names only, or across the separator between message and name (ADR 49).
  'audit',
  '"needle etl.a"',
  '"db  prefect"',
  '+needle +audit',
  'audit -needle',
  'flow_runs',
];

forEngine('postgres', 'PostgreSQL text search', (engine) => {
  it('returns exactly what the grammar matches through every search path (scan, window, index + tail)', async () => {
    const url = await engine.newDatabaseUrl();
    const store = await openStore({ url });
    const db = new PgDb(url, 2);
    try {
      const { workspace } = await store.tenancy.ensureDefaults();
      const ws = workspace.id;
      const words = ['alpha', 'beta', 'gamma', 'rare-token', 'db', 'Timeout', '100%', 'snake_case'];
      const t0 = nowMicros();
      const rows: NewLog[] = [];
      for (let i = 0; i < 600; i++) {
        // Frequent words everywhere, a rare one every 97th row, ties in timestamps.
        const msg = [words[i % 3], words[3 + (i % 5)], i % 97 === 0 ? 'needle' : ''].join(' ');
        const name = i % 7 === 0 ? 'etl.Audit' : i % 11 === 0 ? 'Prefect.Flow_Runs' : 'pg';
        rows.push({ ...log(ws, msg, t0 + Math.floor(i / 3)), level: (i % 5) * 10, name });
      }
      const stored = await store.logs.append(rows.slice(0, 400));
      while ((await store.logs.indexText(150)) > 0);
      // Half the indexed rows as indexed before migration 19: the whole searched text, no name.
      await db.query('UPDATE logs_text SET text = text || lower(name), name = NULL WHERE seq % 2 = 0');
      stored.push(...(await store.logs.append(rows.slice(400)))); // an unindexed tail
      const ordered = [...stored].sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
      const { matchesText } = await import('../../domain/text-query.ts');
      const { parseTextQuery } = await import('../../domain/text-query.ts');
      // Default windows (every search of 600 rows is answered from the first window), small ones
      // (larger windows, then the index), none (straight to the index).
      const tenancy = new PgTenancy(db);
      const variants = [
        store.logs,
        new PgLogs(db, tenancy, { scanWindows: [40, 120] }),
        new PgLogs(db, tenancy, { scanWindows: [] }),
      ];
      for (const [logs, query] of variants.flatMap((v) => QUERIES.map((q) => [v, q] as const))) {
        const tq = parseTextQuery(query);
        const expected = ordered.filter((r) => matchesText(tq, `${r.message} ${r.name}`.toLowerCase()));
        for (const sort of ['TIMESTAMP_ASC', 'TIMESTAMP_DESC'] as const) {
          const exp = sort === 'TIMESTAMP_ASC' ? expected : [...expected].reverse();
          for (const [limit, offset] of [
            [200, 0],
            [5, 0],
            [7, 3],
            [200, 150],
          ]) {
            const got = await logs.filter(
              ws,
              all({ filter: { operator: 'and_', text: { query } }, sort, limit, offset }),
            );
            assert.deepEqual(
              got.map((r) => r.seq),
              exp.slice(offset, offset + limit).map((r) => r.seq),
              `${query} ${sort} ${limit}/${offset}`,
            );
          }
          const mid = exp[Math.floor(exp.length / 2)];
          if (mid) {
            const got = await logs.filter(
              ws,
              all({
                filter: { operator: 'and_', text: { query } },
                sort,
                limit: 50,
                after: { timestamp: mid.timestamp, seq: mid.seq },
              }),
            );
            const at = exp.indexOf(mid);
            assert.deepEqual(
              got.map((r) => r.seq),
              exp.slice(at + 1, at + 51).map((r) => r.seq),
              `${query} ${sort} after`,
            );
          }
        }
        const withLevel = await logs.filter(
          ws,
          all({ filter: { operator: 'and_', level: { ge_: 30 }, text: { query } }, limit: 200 }),
        );
        assert.deepEqual(
          withLevel.map((r) => r.seq),
          expected
            .filter((r) => r.level >= 30)
            .slice(0, 200)
            .map((r) => r.seq),
          `${query} and level`,
        );
        const orLevel = await logs.filter(
          ws,
          all({ filter: { operator: 'or_', level: { ge_: 40 }, text: { query } }, limit: 200 }),
        );
        const orExp = ordered.filter((r) => r.level >= 40 || matchesText(tq, `${r.message} ${r.name}`.toLowerCase()));
        assert.deepEqual(
          orLevel.map((r) => r.seq),
          orExp.slice(0, 200).map((r) => r.seq),
          `${query} or level`,
        );
        const windowed = await logs.filter(
          ws,
          all({
            filter: { operator: 'and_', text: { query }, timestamp: { after_: t0 + 20, before_: t0 + 150 } },
            limit: 30,
            offset: 2,
          }),
        );
        const inWindow = expected.filter((r) => r.timestamp >= t0 + 20 && r.timestamp <= t0 + 150);
        assert.deepEqual(
          windowed.map((r) => r.seq),
          inWindow.slice(2, 32).map((r) => r.seq),
          `${query} in a time range`,
        );
      }
    } finally {
      await db.close();
      await store.close();
    }
  });
});

it('reports an unreachable PostgreSQL as unavailable, naming it without the password', async () => {
  await assert.rejects(
    openStore({ url: 'postgres://someone:s3cret@127.0.0.1:1/nowhere' }),
    (err: { code?: string; message: string }) =>
      err.code === 'unavailable' &&
      err.message.includes('postgres://someone:***@127.0.0.1:1/nowhere') &&
      !err.message.includes('s3cret'),
  );
});
