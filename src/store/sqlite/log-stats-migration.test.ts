import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { tempDir } from '../../../test/helpers/engines.ts';
import { openSqliteStore } from './index.ts';
import { foundation } from './migrations/0001-foundation.ts';

it('migrations 0002 and 0009 aggregate the logs a version-1 database already holds', async () => {
  const path = join(tempDir(), 'v1.db');
  const raw = new DatabaseSync(path);
  raw.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  raw.exec(foundation.sql);
  raw.exec("INSERT INTO meta (key, value) VALUES ('schema_version', '1')");
  raw.exec("INSERT INTO accounts VALUES ('a0000000-0000-4000-8000-000000000000', 'default', 'default', 0)");
  raw.exec(
    "INSERT INTO workspaces VALUES (1, 'b0000000-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-000000000000', 'default', 'default', NULL, 1, 0)",
  );
  const run = 'c0000000-0000-4000-8000-000000000000';
  const insert = raw.prepare(
    'INSERT INTO logs (ws, id, created, timestamp, level, name, message, flow_run_id) VALUES (1, ?, 0, ?, ?, ?, ?, ?)',
  );
  insert.run('l1', 30, 40, 'x', 'one', run);
  insert.run('l2', 10, 20, 'x', 'two', run);
  insert.run('l3', 20, 30, 'y', 'three', null);
  raw.close();

  const store = openSqliteStore({ path, sync: 'normal' });
  try {
    const ws = 'b0000000-0000-4000-8000-000000000000';
    assert.deepEqual(await store.logs.runStats(ws, run), { count: 2, maxSeq: 2, warnings: 0, errors: 1 });
    assert.deepEqual(await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10 }), [
      { name: 'x', count: 2, firstSeen: 10, lastSeen: 30 },
      { name: 'y', count: 1, firstSeen: 20, lastSeen: 20 },
    ]);
    assert.deepEqual(await store.logs.observedLoggers(ws, { orderBy: 'NAME_ASC', limit: 10, flowRunIds: [run] }), [
      { name: 'x', count: 2, firstSeen: 10, lastSeen: 30 },
    ]);
  } finally {
    await store.close();
  }
});
