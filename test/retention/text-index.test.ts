/**
 * SQLite: the text index (its own file, built by a worker thread) loses the entries of the logs a
 * sweep removed, so that under retention the index file stops growing with the logs.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, it } from 'node:test';
import { forEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const HOUR = 3_600_000;

forEngine('sqlite', 'retention and the text index file', (engine) => {
  let s: TestServer;
  const now = Date.now();

  before(async () => {
    s = await startServer(engine, { 'retention-logs': '1h', 'retention-batch': '7' }, { clock: () => now * 1000 });
  });
  after(() => s?.close());

  /** Entries in the index file (a contentless FTS5 table keeps one docsize row per entry). */
  const entries = () => {
    const db = new DatabaseSync(`${s.config.db.slice('sqlite:'.length)}-text`, { readOnly: true });
    try {
      return Number((db.prepare('SELECT count(*) AS n FROM logs_text_docsize').get() as { n: number }).n);
    } finally {
      db.close();
    }
  };

  it('removes the entries of swept logs, and searches find what remains', async () => {
    const logs = Array.from({ length: 40 }, (_, i) => ({
      name: 'text',
      level: 20,
      message: `${i < 30 ? 'expired' : 'kept'} line ${i}`,
      timestamp: new Date(now - (i < 30 ? 3 : 0.5) * HOUR + i * 1000).toISOString(),
    }));
    assert.equal((await s.request('POST', s.oss('/logs/'), logs)).statusCode, 201);
    await s.app.indexer.catchUp();
    assert.equal(entries(), 40);
    const sweeps = await s.app.retention.sweepNow();
    assert.equal(sweeps?.find((w) => w.workspaceId === s.workspaceId)?.removed.logs, 30);
    await s.app.indexer.catchUp();
    assert.equal(entries(), 10, 'the index file holds only the remaining logs');
    const found = await s.request('POST', s.oss('/logs/filter'), { logs: { text: { query: 'line' } }, limit: 100 });
    assert.deepEqual(
      found
        .json()
        .map((l: { message: string }) => l.message)
        .sort(),
      logs
        .slice(30)
        .map((l) => l.message)
        .sort(),
    );
  });
});
