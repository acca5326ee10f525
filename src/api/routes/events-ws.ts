/**
 * Event websockets. `/events/in`: after the handshake every text frame is one event, validated and
 * committed as it arrives (group commit). Pings are answered only once everything received before
 * them is committed — the Python client treats a pong as the acknowledgement of every event sent
 * before its ping. A bad frame gets an error message and the socket stays open; the tenth closes it
 * with 1007. Over `--rate-limit-items` it slows down instead of refusing: it stops reading (pings
 * wait too) until the bucket refills, never for more than 10 s at a time.
 *
 * `/events/out`: a filter message, an optional backfill (last 15 minutes, oldest first, pages of
 * 250), then live events read from the store after each committed batch. It stops reading
 * while its socket has `--ws-max-buffer` bytes unsent, and is closed with 1013 when more than
 * `--live-queue` events are committed meanwhile.
 */

import { AppError, parseOrThrow } from '../../domain/errors.ts';
import type { NewEvent } from '../../domain/events.ts';
import { parseJsonText } from '../../domain/json-text.ts';
import { tenantOf, workspaceScope } from '../../ops/events/context.ts';
import { parseEventFrame } from '../../ops/events/ingest-events.ts';
import { type EventFilterMessage, eventFilterMessageSchema, streamEvents } from '../../ops/events/live-events.ts';
import { holderOf } from '../access.ts';
import type { WsRouteDef } from '../websocket.ts';

export const MAX_ERROR_FRAMES = 10;
/** Events waiting for their commit past which `/events/in` stops reading its socket. */
const MAX_BACKLOG = 50_000;

export const eventsInRoute: WsRouteDef = {
  path: '/events/in',
  scope: 'write',
  autoPong: false,
  async handler(ctx, session, req) {
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
    const { eventWriter, limits } = ctx.services;
    const holder = holderOf(ctx.services, req);
    const limited = limits.limitsItems(holder);
    let errors = 0;
    // Paused for want of items (--rate-limit-items), as opposed to a backlog of commits.
    let throttled = false;
    const resume = () => {
      if (socket.isPaused && !throttled && !session.isClosed) socket.resume();
    };
    const store = (event: NewEvent): Promise<void> => {
      const p = eventWriter.add([event]);
      // Backpressure: stop reading a client that sends faster than events commit, until they catch up.
      if (eventWriter.backlog > MAX_BACKLOG && !socket.isPaused) {
        socket.pause();
        p.then(resume, resume);
      }
      // Never acknowledge what was not stored: close, so that the client reconnects and re-sends
      // (1013 "try again later" while the database is away, as HTTP writes answer 503).
      p.catch((err) =>
        err instanceof AppError && err.code === 'unavailable'
          ? session.close(1013, 'Database unavailable; try again')
          : session.close(1011, 'Could not store events'),
      );
      return p;
    };
    // Over the item limit the socket is not read (so pings wait too) and events received meanwhile
    // wait here, in order, each until the bucket has one (at most MAX_HOLD_MS: see rate-limits.ts).
    const held: { event: NewEvent; at: number; stored: (p: Promise<void>) => void }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const release = () => {
      timer = undefined;
      while (held.length && !session.isClosed) {
        const wait = limits.takeItemOrWait(holder, performance.now() - held[0].at);
        if (wait > 0) {
          timer = setTimeout(release, wait);
          return;
        }
        const h = held.shift()!;
        h.stored(store(h.event));
      }
      throttled = false;
      resume();
    };
    session.onClose(() => clearTimeout(timer));
    session.onMessage((text) => {
      if (session.isClosed) return;
      const r = parseEventFrame(text, tenant);
      if ('eventId' in r) {
        session.send({ type: 'error', event_id: r.eventId, message: r.message });
        if (++errors >= MAX_ERROR_FRAMES) session.close(1007, `${MAX_ERROR_FRAMES} invalid events received`);
        return;
      }
      if (!limited || (held.length === 0 && limits.takeItemOrWait(holder, 0) === 0)) {
        last = store(r);
        return;
      }
      // A pong answers for every event before its ping: it waits for this one's commit.
      last = new Promise<void>((stored) => held.push({ event: r, at: performance.now(), stored }));
      last.catch(() => {}); // its failure closes the socket (see `store`)
      throttled = true;
      if (!socket.isPaused) socket.pause();
      if (!timer) release();
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
