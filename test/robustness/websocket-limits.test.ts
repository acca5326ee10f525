/**
 * The limits every websocket lives within: no permessage-deflate, a deadline for the auth and
 * filter messages (legacy clients skip auth and keep working), a largest message, a number of
 * sockets per remote address, and a bounded buffer that closes a slow `/events/out` consumer
 * with 1013 rather than letting its backlog grow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ev } from '../events/helpers.ts';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { openSocket, type TestSocket, wsUrl } from '../helpers/ws.ts';

const ROUTES = ['/logs/out', '/events/out', '/events/in'];

/** Resolves once the server has answered a ping, i.e. the socket is open and served. */
const served = (s: TestSocket) =>
  new Promise<void>((resolve) => {
    s.ws.once('pong', () => resolve());
    s.ws.ping();
  });

forEachEngine('websocket limits', (engine) => {
  describe('one server', () => {
    let s: TestServer;
    let api: string;
    before(async () => {
      s = await startServer(engine, {
        'ws-handshake-timeout': '1',
        'ws-max-message': '65536',
        'ws-max-buffer': '16384',
        'live-queue': '20',
      });
      api = await s.listen();
    });
    after(() => s.close());

    it('declines permessage-deflate on every route', async () => {
      for (const path of ROUTES) {
        const sock = await openSocket(wsUrl(api, path));
        assert.equal(sock.ws.extensions, '', path);
        sock.ws.close();
        await sock.closed;
      }
    });

    it('closes sockets that never authenticate or never send their filter (1008); legacy ingest stays open', async () => {
      const silent = await Promise.all(ROUTES.map((p) => openSocket(wsUrl(api, p), { auth: false })));
      const noFilter = await Promise.all(
        ['/logs/out', '/events/out'].flatMap((p) => [
          openSocket(wsUrl(api, p)),
          openSocket(wsUrl(api, p), { subprotocol: false }),
        ]),
      );
      const legacyIngest = await openSocket(wsUrl(api, '/events/in'), { subprotocol: false });
      for (const sock of silent)
        assert.deepEqual(await sock.closed, { code: 1008, reason: 'No auth message within 1 s' });
      for (const sock of noFilter)
        assert.deepEqual(await sock.closed, { code: 1008, reason: 'No filter message within 1 s' });
      const e = ev({ event: 'limits.legacy' });
      legacyIngest.send(e);
      await served(legacyIngest);
      const found = await s.request('POST', s.oss('/events/filter'), {
        filter: { event: { name: ['limits.legacy'] } },
      });
      assert.deepEqual(
        found.json().events.map((x: { id: string }) => x.id),
        [e.id],
      );
      legacyIngest.ws.close();
    });

    it('closes a socket that sends a message past --ws-max-message (1009)', async () => {
      const sock = await openSocket(wsUrl(api, '/events/in'));
      sock.ws.send(JSON.stringify(ev({ payload: { text: 'x'.repeat(60_000) } })));
      await served(sock);
      sock.ws.send(JSON.stringify(ev({ payload: { text: 'x'.repeat(70_000) } })));
      assert.equal((await sock.closed).code, 1009);
    });

    it('closes an /events/out subscriber that stops reading (1013); what it got is a gap-free prefix', {
      timeout: 60_000,
    }, async () => {
      const sub = await openSocket(wsUrl(api, '/events/out'));
      sub.send({ type: 'filter', filter: { event: { name: ['limits.flood'] } }, backfill: false });
      await served(sub);
      (sub.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // Past the socket's kernel buffers (a few MB on loopback), then --ws-max-buffer, then --live-queue.
      const posted: string[] = [];
      const t0 = Date.now() - 60_000;
      for (let i = 0; i < 40; i++) {
        const batch = Array.from({ length: 10 }, (_, j) =>
          ev({
            event: 'limits.flood',
            occurred: new Date(t0 + posted.length + j).toISOString(),
            payload: { text: 'y'.repeat(20_000) },
          }),
        );
        posted.push(...batch.map((e) => e.id as string));
        assert.equal((await s.request('POST', s.oss('/events'), batch)).statusCode, 204);
      }
      (sub.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { code, reason } = await sub.closed;
      assert.equal(code, 1013);
      assert.equal(reason, 'Subscriber cannot keep up: more than 20 events committed while it was not reading');
      const got = sub.messages.filter((m) => m.type === 'event').map((m) => m.event.id);
      assert.ok(got.length > 0 && got.length < posted.length, `${got.length} events arrived`);
      assert.deepEqual(got, posted.slice(0, got.length));
    });
  });

  it('caps websockets per remote address (1013) and frees a slot when one closes', async () => {
    const s = await startServer(engine, { 'ws-max-connections': '3' });
    try {
      const api = await s.listen();
      const open = await Promise.all([1, 2, 3].map(() => openSocket(wsUrl(api, '/events/in'))));
      const extra = new WebSocket(wsUrl(api, '/events/in'));
      const refused = await new Promise<[number, string]>((r) =>
        extra.on('close', (code, why) => r([code, why.toString()])),
      );
      assert.deepEqual(refused, [1013, 'Too many websockets from this address (--ws-max-connections 3)']);
      open[0].ws.close();
      await open[0].closed;
      const again = await openSocket(wsUrl(api, '/events/in'));
      await served(again);
      for (const sock of [...open.slice(1), again]) sock.ws.close();
    } finally {
      await s.close();
    }
  });
});
