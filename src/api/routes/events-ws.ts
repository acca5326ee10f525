/**
 * Event websockets. `/events/in`: after the handshake every text frame is one event, validated and
 * committed as it arrives (group commit). Pings are answered only once everything received before
 * them is committed — the Python client treats a pong as the acknowledgement of every event sent
 * before its ping. A bad frame gets an error message and the socket stays open; the tenth closes it
 * with 1007. `/events/out`: a filter message, an optional backfill (last 15 minutes, oldest first,
 * pages of 250), then live events read from the store after each committed batch. It stops reading
 * while its socket has `--ws-max-buffer` bytes unsent, and is closed with 1013 when more than
 * `--live-queue` events are committed meanwhile.
 */

import { AppError, parseOrThrow } from '../../domain/errors.ts';
import { parseJsonText } from '../../domain/json-text.ts';
import { tenantOf, workspaceScope } from '../../ops/events/context.ts';
import { parseEventFrame } from '../../ops/events/ingest-events.ts';
import { type EventFilterMessage, eventFilterMessageSchema, streamEvents } from '../../ops/events/live-events.ts';
import type { WsRouteDef } from '../websocket.ts';

export const MAX_ERROR_FRAMES = 10;
/** Events waiting for their commit past which `/events/in` stops reading its socket. */
const MAX_BACKLOG = 50_000;

export const eventsInRoute: WsRouteDef = {
  path: '/events/in',
  scope: 'write',
  autoPong: false,
  async handler(ctx, session) {
    const { socket } = session;
    // The commit of the latest event received; a pong waits for it (writers are told in order, so
    // that also covers every earlier event).
    let last: Promise<void> = Promise.resolve();
    const answer = (data: Buffer) =>
      last.then(
        () => {
          if (socket.readyState !== socket.OPEN) return;
          if (session.full) session.close(1013, 'Client is not reading its pongs');
          else socket.pong(data);
        },
        () => {},
      );
    // Until the frames the session buffered during the handshake have been handed to the writer,
    // `last` does not cover them: a ping that arrives meanwhile waits (found by the crash test).
    // With none buffered it is answered at once — the Prefect client pings before it authenticates.
    let reading = false;
    const early: Buffer[] = session.earlyPings.splice(0);
    socket.on('ping', (data) => (reading || session.pending === 0 ? answer(data) : early.push(data)));
    if (!(await session.handshake())) return;
    const tenant = tenantOf(workspaceScope(ctx));
    let errors = 0;
    session.onMessage((text) => {
      if (session.isClosed) return;
      const r = parseEventFrame(text, tenant);
      if ('eventId' in r) {
        session.send({ type: 'error', event_id: r.eventId, message: r.message });
        if (++errors >= MAX_ERROR_FRAMES) session.close(1007, `${MAX_ERROR_FRAMES} invalid events received`);
        return;
      }
      const p = ctx.services.eventWriter.add([r]);
      last = p;
      // Backpressure: stop reading a client that sends faster than events commit, until they catch up.
      if (ctx.services.eventWriter.backlog > MAX_BACKLOG && !socket.isPaused) {
        socket.pause();
        const resume = () => {
          if (socket.isPaused) socket.resume();
        };
        p.then(resume, resume);
      }
      // Never acknowledge what was not stored: close, so that the client reconnects and re-sends
      // (1013 "try again later" while the database is away, as HTTP writes answer 503).
      p.catch((err) =>
        err instanceof AppError && err.code === 'unavailable'
          ? session.close(1013, 'Database unavailable; try again')
          : session.close(1011, 'Could not store events'),
      );
    });
    reading = true;
    for (const data of early.splice(0)) answer(data);
  },
};

export const eventsOutRoute: WsRouteDef = {
  path: '/events/out',
  scope: 'read',
  async handler(ctx, session) {
    if (!(await session.handshake())) return;
    const first = await session.nextInTime('filter');
    if (first === null) return;
    session.ignoreMessages();
    let msg: { type?: unknown; filter?: unknown; backfill?: unknown };
    try {
      msg = parseJsonText(first) as typeof msg;
    } catch {
      msg = {};
    }
    if (msg?.type !== 'filter') return session.close(1002, "Expected 'filter' message");
    let parsed: EventFilterMessage;
    try {
      parsed = parseOrThrow(eventFilterMessageSchema(ctx.family), { filter: msg.filter, backfill: msg.backfill }, []);
    } catch (err) {
      return session.close(1002, `Invalid filter: ${(err as Error).message}`);
    }
    await streamEvents(
      ctx,
      {
        send: (m) => session.send(m),
        get full() {
          return session.full;
        },
        drained: () => session.drained(),
        get isClosed() {
          return session.isClosed;
        },
        onClose: (fn) => session.onClose(fn),
        overflow: (reason) => session.close(1013, reason),
        failed: () => session.close(1011, 'Could not read events'),
      },
      parsed,
    );
  },
};
