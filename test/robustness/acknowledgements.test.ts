/**
 * Found by the crash test (issue 13): a `/events/in` pong acknowledges every frame sent before its
 * ping — also frames the server buffered while it answered the auth message. A client that sends
 * auth, events and a ping in one go got the pong before those events were even handed to the
 * writer; killed then, the server lost acknowledged events. Here the database is held busy while
 * such a burst arrives: no pong may come until the events are committed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { WebSocket } from 'ws';
import { ev } from '../events/helpers.ts';
import { type Served, serve } from '../helpers/cli.ts';
import { forEachEngine, tempDir } from '../helpers/engines.ts';

/** Holds the events table's write lock from another connection until `release()`. */
async function holdWrites(engine: string, db: string): Promise<() => Promise<void>> {
  if (engine === 'sqlite') {
    const raw = new DatabaseSync(db.slice('sqlite:'.length));
    raw.exec('BEGIN IMMEDIATE');
    return async () => {
      raw.exec('COMMIT');
      raw.close();
    };
  }
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  await c.query('BEGIN');
  await c.query('LOCK TABLE events IN EXCLUSIVE MODE');
  return async () => {
    await c.query('COMMIT');
    await c.end();
  };
}

forEachEngine('what a pong acknowledges', (engine) => {
  let server: Served;
  let db: string;
  before(async () => {
    const dir = tempDir();
    db = engine.name === 'sqlite' ? `sqlite:${join(dir, 'sightline.db')}` : await engine.newDatabaseUrl();
    server = await serve(['--port', '0', '--data-dir', dir, '--db', db, '--log-level', 'silent', '--no-capabilities']);
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('no pong before every earlier frame is committed, even frames sent with the auth message', async () => {
    const api = server.lines.api;
    const ws = new WebSocket(`${api.replace(/^http/, 'ws')}/events/in`, ['prefect']);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const events = Array.from({ length: 10 }, () => ev({ event: 'ack.order' }));
    let ponged = false;
    const pong = new Promise<void>((resolve) =>
      ws.once('pong', () => {
        ponged = true;
        resolve();
      }),
    );
    const release = await holdWrites(engine.name, db);
    // One burst, in one TCP write (as a client's frames pile up at a busy server): the server reads
    // the auth message, the events and the ping in one go, while it is still answering the auth.
    const tcp = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    tcp.cork();
    ws.send(JSON.stringify({ type: 'auth', token: null }));
    for (const e of events) ws.send(JSON.stringify(e));
    ws.ping('1');
    tcp.uncork();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ponged, false, 'the pong came while the events could not be committed');
    await release();
    await pong;
    const page = await fetch(`${api}/events/filter`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { id: { id: events.map((e) => e.id) } } }),
    });
    assert.equal(((await page.json()) as { events: unknown[] }).events.length, 10);
    ws.close();
  });
});
