/** `GET /api/ready`: 200 when the database serves, 503 naming what is not ready otherwise. */
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { forEachEngine, forEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

/** Runs `sql` on the server's database through a connection of its own. */
async function onDatabase(s: TestServer, sql: string): Promise<void> {
  const url = s.config.db;
  if (url.startsWith('sqlite:')) {
    const db = new DatabaseSync(url.slice('sqlite:'.length));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function ready(s: TestServer): Promise<{ status: number; body: { message: string; problems?: string[] } }> {
  const res = await s.request('GET', s.oss('/ready'));
  return { status: res.statusCode, body: res.json() };
}

forEachEngine('readiness', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
  });
  after(() => s.close());

  it('answers 200 OK, then 503 naming pending migrations when the schema is behind this server', async () => {
    assert.deepEqual(await ready(s), { status: 200, body: { message: 'OK' } });
    await onDatabase(
      s,
      "UPDATE meta SET value = CAST(CAST(value AS INTEGER) - 1 AS TEXT) WHERE key = 'schema_version'",
    );
    const r = await ready(s);
    assert.equal(r.status, 503);
    assert.match(
      r.body.message,
      /^Not ready: migrations pending: the database schema is version \d+, this Sightline needs \d+/,
    );
    assert.equal(r.body.problems?.length, 1);
    await onDatabase(
      s,
      "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'schema_version'",
    );
    assert.equal((await ready(s)).status, 200);
  });
});

/** Polls readiness until `status`, or fails after a minute showing the last answer. */
async function readyBecomes(s: TestServer, status: number): Promise<{ message: string; problems?: string[] }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await ready(s);
    if (r.status === status) return r.body;
    assert.ok(Date.now() < deadline, `readiness stayed ${r.status}: ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

forEngine('sqlite', 'readiness of a database file moved away', (engine) => {
  it('answers 503 naming the file while it is not at its path, 200 once it is back', async () => {
    const s = await startServer(engine);
    after(() => s.close());
    const path = s.config.db.slice('sqlite:'.length);
    renameSync(path, `${path}.moved`);
    try {
      const r = await ready(s);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body.problems, [
        `database unreachable: the file ${path} no longer exists (deleted or moved while open)`,
      ]);
    } finally {
      renameSync(`${path}.moved`, path);
    }
    assert.equal((await ready(s)).status, 200);
  });
});

forEngine('postgres', 'readiness of an unreachable database', (engine) => {
  it('answers 503 "database unreachable" while the database refuses connections, 200 once it accepts them', async () => {
    const s = await startServer(engine);
    after(() => s.close());
    // Only this test's own database stops accepting connections and loses those it has.
    const name = new URL(s.config.db).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.SIGHTLINE_TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const body = await readyBecomes(s, 503);
      assert.match(body.message, /^Not ready: database unreachable: /);
      assert.equal(body.problems?.length, 1);
      // The metrics still answer, saying the database's figures could not be read.
      const metrics = await s.request('GET', '/metrics');
      assert.equal(metrics.statusCode, 200);
      assert.match(metrics.body, /^sightline_writer_backlog_items\{kind="logs"\} 0$/m);
      assert.match(metrics.body, /^sightline_database_up 0$/m);
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await readyBecomes(s, 200);
  });
});
