/**
 * The recorded Prefect client run under `--auth`, with the one setting that covers every call:
 * `PREFECT_API_AUTH_STRING=sightline:<key>` (HTTP Basic, and the websocket's auth token). Every
 * task run arrives; the key's workspace is the one written.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { makeKey } from '../helpers/keys.ts';
import { loadTranscript, replay } from '../helpers/replay.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

forEachEngine('Prefect client replay under --auth', (engine) => {
  let s: TestServer;
  let base: string;
  before(async () => {
    s = await startServer(engine, { auth: 'true' });
    base = (await s.listen()).replace(/\/api$/, '');
  });
  after(() => s.close());

  it('replays flow-with-retry with PREFECT_API_AUTH_STRING=sightline:<key>', async () => {
    const key = await makeKey(s, 'write');
    const r = await replay(loadTranscript('flow-with-retry'), base, { authString: `sightline:${key.secret}` });
    assert.equal(r.http, 19);
    assert.equal(r.frames, 12);
    const states = await fetch(`${base}/api/task_run_states/?task_run_id=01a20588-ff47-7c7d-824f-60d250e8e9c8`, {
      headers: key.bearer,
    });
    assert.deepEqual(
      ((await states.json()) as { name: string }[]).map((x) => x.name),
      ['Pending', 'Running', 'AwaitingRetry', 'Retrying', 'Completed'],
    );
  });

  it('refuses the same run without a key', async () => {
    await assert.rejects(replay(loadTranscript('flow-with-retry'), base), /401/);
  });
});
