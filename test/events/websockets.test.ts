import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { ev, related } from './helpers.ts';

interface Client {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<number>;
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['prefect']);
    const messages: Record<string, unknown>[] = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('error', reject);
  });
}

function ping(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const data = Buffer.from(String(Math.random()));
    const onPong = (d: Buffer) => {
      if (d.equals(data)) {
        ws.off('pong', onPong);
        resolve();
      }
    };
    ws.on('pong', onPong);
    ws.ping(data);
  });
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

forEachEngine('events: websockets', (engine) => {
  let s: TestServer;
  let wsBase: string;
  before(async () => {
    s = await startServer(engine);
    wsBase = (await s.listen()).replace(/^http/, 'ws');
  });
  after(() => s.close());

  const total = async (prefix: string) => {
    const r = await s.request('POST', s.oss('/events/filter'), { filter: { event: { prefix: [prefix] } } });
    return r.json().total as number;
  };

  /** Connects to /events/in the way the Prefect client does: ping, auth, then frames. */
  const eventsIn = async (path = '/events/in') => {
    const c = await connect(wsBase + path);
    await ping(c.ws);
    c.ws.send(JSON.stringify({ type: 'auth', token: null }));
    await until(() => c.messages.length > 0, 'auth_success');
    assert.deepEqual(c.messages.shift(), { type: 'auth_success' });
    return c;
  };

  it('commits each frame on arrival and pongs only after what came before is committed', async () => {
    const c = await eventsIn();
    const evs = Array.from({ length: 25 }, () => ev({ event: 'ws.in.ack' }));
    for (const e of evs) c.ws.send(JSON.stringify(e));
    await ping(c.ws);
    assert.equal(await total('ws.in.ack'), 25, 'everything before the ping is visible once the pong arrives');
    const more = ev({ event: 'ws.in.noping' });
    c.ws.send(JSON.stringify(more));
    await until(async () => (await total('ws.in.noping')) === 1, 'an event visible without a ping');
    c.ws.close(1000);
    assert.equal(await c.closed, 1000);
  });

  it('works on the Cloud path family too', async () => {
    const c = await eventsIn(`/accounts/${s.accountId}/workspaces/${s.workspaceId}/events/in`);
    c.ws.send(JSON.stringify(ev({ event: 'ws.in.cloud' })));
    await ping(c.ws);
    assert.equal(await total('ws.in.cloud'), 1);
    c.ws.close();
  });

  it('answers bad frames with error messages, keeps the socket open, and closes with 1007 after 10', async () => {
    const c = await eventsIn();
    const bad: Record<string, unknown> = { ...ev(), resource: { name: 'no id' } };
    c.ws.send('{not json');
    c.ws.send(JSON.stringify(bad));
    c.ws.send(JSON.stringify(ev({ event: 'ws.in.after-errors' })));
    await ping(c.ws);
    assert.equal(await total('ws.in.after-errors'), 1);
    assert.equal(c.messages.length, 2);
    assert.equal(c.messages[0].type, 'error');
    assert.equal(c.messages[0].event_id, null);
    assert.match(String(c.messages[0].message), /JSON/);
    assert.equal(c.messages[1].event_id, bad.id);
    assert.match(String(c.messages[1].message), /prefect\.resource\.id/);
    for (let i = 0; i < 8; i++) c.ws.send('[]');
    assert.equal(await c.closed, 1007);
    assert.equal(c.messages.filter((m) => m.type === 'error').length, 10);
  });

  it('absorbs events re-sent after a reconnect', async () => {
    const evs = Array.from({ length: 40 }, () => ev({ event: 'ws.in.resend' }));
    const a = await eventsIn();
    for (const e of evs.slice(0, 30)) a.ws.send(JSON.stringify(e));
    await until(async () => (await total('ws.in.resend')) > 0, 'some events stored');
    a.ws.terminate();
    const b = await eventsIn();
    for (const e of evs) b.ws.send(JSON.stringify(e));
    await ping(b.ws);
    assert.equal(await total('ws.in.resend'), 40);
    b.ws.close();
  });

  it('a Prefect-shaped client (checkpoints, reconnect, re-send) reads back every event exactly once', async () => {
    const evs = Array.from({ length: 1500 }, (_, i) => ev({ event: 'ws.client.state', payload: { i } }));
    let unconfirmed: Record<string, unknown>[] = [];
    let c = await eventsIn();
    for (let i = 0; i < evs.length; i++) {
      c.ws.send(JSON.stringify(evs[i]));
      unconfirmed.push(evs[i]);
      if (unconfirmed.length === 700) {
        await ping(c.ws);
        unconfirmed = [];
      }
      if (i === 1000) {
        // Connection lost: reconnect and re-send everything unconfirmed, as the client does.
        c.ws.terminate();
        c = await eventsIn();
        for (const e of unconfirmed) c.ws.send(JSON.stringify(e));
      }
    }
    await ping(c.ws);
    c.ws.close();
    const seen: string[] = [];
    let r = await s.request('POST', s.oss('/events/filter'), { filter: { event: { name: ['ws.client.state'] } } });
    let page = r.json();
    assert.equal(page.total, 1500);
    for (;;) {
      seen.push(...page.events.map((e: { id: string }) => e.id));
      if (!page.next_page) break;
      const u = new URL(page.next_page);
      r = await s.request('GET', u.pathname + u.search);
      page = r.json();
    }
    assert.equal(seen.length, 1500);
    assert.equal(new Set(seen).size, 1500);
  });

  it('streams /events/out: backfill of the last 15 minutes, then live events with related filters applied', async () => {
    const run = 'prefect.flow-run.bbbbbbbb-0000-4000-8000-000000000001';
    const old = ev({
      event: 'ws.out.x',
      occurred: new Date(Date.now() - 20 * 60_000).toISOString(),
      related: [related(run, 'flow-run')],
    });
    const recent = ev({
      event: 'ws.out.x',
      occurred: new Date(Date.now() - 5 * 60_000).toISOString(),
      related: [related(run, 'flow-run')],
    });
    const unrelated = ev({ event: 'ws.out.x', occurred: new Date(Date.now() - 4 * 60_000).toISOString() });
    assert.equal((await s.request('POST', s.oss('/events'), [old, recent, unrelated])).statusCode, 204);
    const c = await connect(`${wsBase}/events/out`);
    c.ws.send(JSON.stringify({ type: 'auth', token: null }));
    c.ws.send(
      JSON.stringify({
        type: 'filter',
        filter: {
          event: { prefix: ['ws.out.'] },
          related: { id: [run] },
          occurred: { since: new Date(Date.now() - 3_600_000).toISOString() },
        },
      }),
    );
    await until(() => c.messages.length >= 2, 'auth and backfill');
    assert.deepEqual(c.messages[0], { type: 'auth_success' });
    const ids = () => c.messages.filter((m) => m.type === 'event').map((m) => (m.event as { id: string }).id);
    assert.deepEqual(ids(), [recent.id], 'backfill is clamped to 15 minutes and filtered');
    const liveMatch = ev({ event: 'ws.out.y', related: [related(run, 'flow-run')] });
    const liveOther = ev({ event: 'ws.out.y' });
    await s.request('POST', s.oss('/events'), [liveOther, liveMatch]);
    const wsIn = await eventsIn();
    const viaSocket = ev({ event: 'ws.out.z', related: [related(run, 'flow-run')] });
    wsIn.ws.send(JSON.stringify(viaSocket));
    wsIn.ws.send(JSON.stringify(liveMatch));
    await until(() => ids().length >= 3, 'live events');
    await ping(wsIn.ws);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(ids(), [recent.id, liveMatch.id, viaSocket.id], 'live, filtered by related, no duplicates');
    wsIn.ws.close();
    c.ws.close();
  });

  it('rejects a first /events/out message that is not a filter, or a bad filter, with 1002', async () => {
    const a = await connect(`${wsBase}/events/out`);
    a.ws.send(JSON.stringify({ type: 'auth', token: null }));
    a.ws.send(JSON.stringify({ type: 'subscribe' }));
    assert.equal(await a.closed, 1002);
    const b = await connect(`${wsBase}/events/out`);
    b.ws.send(JSON.stringify({ type: 'auth', token: null }));
    b.ws.send(JSON.stringify({ type: 'filter', filter: { nope: 1 } }));
    assert.equal(await b.closed, 1002);
    const c = await connect(`${wsBase}/events/out`);
    c.ws.send(JSON.stringify({ type: 'auth', token: null }));
    c.ws.send(JSON.stringify({ type: 'filter', backfill: false, filter: { event: { prefix: ['ws.out.'] } } }));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(c.messages, [{ type: 'auth_success' }], 'no backfill when asked');
    c.ws.close();
  });
});
