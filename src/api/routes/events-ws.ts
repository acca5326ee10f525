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

import { AppError } from '../../domain/errors.ts';
import { type EventCursor, eventFilterSchemaCloud, eventFilterSchemaOss, renderEvent } from '../../domain/events.ts';
import { parseJsonText } from '../../domain/json-text.ts';
import { bool, object, optional, parseOrThrow } from '../../domain/schema.ts';
import { nowMicros } from '../../domain/time.ts';
import { tenantOf, workspaceScope } from '../../ops/events/context.ts';
import { resolveFilter } from '../../ops/events/filter-events.ts';
import { appendEvents, parseEventFrame } from '../../ops/events/ingest-events.ts';
import type { WsRouteDef } from '../websocket.ts';

export const MAX_ERROR_FRAMES = 10;
/** Events waiting for their commit past which `/events/in` stops reading its socket. */
const MAX_BACKLOG = 50_000;
export const BACKFILL_WINDOW_MICROS = 15 * 60 * 1_000_000;
export const BACKFILL_PAGE = 250;
/** The first page read after a full socket drained. */
const RESUME_PAGE = 32;
/** `until` of a live subscription that names none: far enough to never end. */
const FOREVER = 253_402_300_799_000_000; // 9999-12-31T23:59:59Z

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
    const early: Buffer[] = [];
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
      const p = appendEvents(ctx.services, [r]);
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

const filterMessageSchema = (cloud: boolean) =>
  object(
    {
      filter: optional(cloud ? eventFilterSchemaCloud : eventFilterSchemaOss),
      backfill: optional(bool(), () => true),
    },
    { extra: 'ignore' },
  );
const filterMessages = { oss: filterMessageSchema(false), cloud: filterMessageSchema(true) };

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
    let parsed: { filter?: unknown; backfill: boolean };
    try {
      parsed = parseOrThrow(filterMessages[ctx.family], { filter: msg.filter, backfill: msg.backfill }, []);
    } catch (err) {
      return session.close(1002, `Invalid filter: ${(err as Error).message}`);
    }
    const scope = workspaceScope(ctx);
    const workspaceId = ctx.workspace.id;
    const now = nowMicros();
    const input = (parsed.filter ?? {}) as Parameters<typeof resolveFilter>[0];
    const filter = resolveFilter(
      { ...input, occurred: { since: input?.occurred?.since, until: input?.occurred?.until ?? FOREVER } },
      scope,
      now,
    );
    filter.since = Math.max(filter.since, now - BACKFILL_WINDOW_MICROS);
    const { store } = ctx.services;
    const withTenant = ctx.family === 'cloud';
    const maxBehind = ctx.services.config['live-queue'];

    // Subscribe first, then take the snapshot: nothing committed in between is missed.
    let target = 0;
    let pumping: Promise<void> | undefined;
    let ready = false;
    /** `target` when the socket filled up and sending stopped; undefined while sending. */
    let stalledAt: number | undefined;
    const unsubscribe = store.changes.subscribe((n) => {
      if (n.stream !== 'events' || n.workspaceId !== workspaceId) return;
      if (n.maxSeq > target) target = n.maxSeq;
      if (stalledAt !== undefined && target - stalledAt > maxBehind) {
        session.close(
          1013,
          `Subscriber cannot keep up: more than ${maxBehind} events committed while it was not reading`,
        );
      }
      if (ready && !pumping) startPump();
    });
    session.onClose(unsubscribe);
    let seen = await store.events.maxSeq();
    const sent = new Set<string>();

    // A full socket stops the page: nothing is held while the client is not reading, and the
    // range continues after the last event sent once it has drained. A drained socket takes about
    // half of --ws-max-buffer, so the page after a stall is small (re-reading 250 events to send
    // a few dozen, at every drain of a slow socket, was most of the server's work); it grows back
    // while the socket keeps up.
    const sendRange = async (minSeq: number | undefined, maxSeq: number, remember: boolean) => {
      let after: EventCursor | undefined;
      let page = BACKFILL_PAGE;
      for (;;) {
        if (session.full) {
          stalledAt = target;
          await session.drained();
          stalledAt = undefined;
          page = RESUME_PAGE;
        }
        if (session.isClosed) return;
        const rows = await store.events.query(scope, { filter, order: 'ASC', limit: page, after, minSeq, maxSeq });
        let i = 0;
        for (; i < rows.length && !session.full; i++) {
          const e = rows[i];
          if (sent.has(e.id)) continue;
          if (remember) sent.add(e.id);
          session.send({ type: 'event', event: renderEvent(e, withTenant) });
        }
        if (i === rows.length && rows.length < page) return;
        if (i > 0) after = { occurred: rows[i - 1].occurred, id: rows[i - 1].id };
        if (i === rows.length) page = Math.min(BACKFILL_PAGE, page * 2);
      }
    };
    const pump = async () => {
      while (target > seen && !session.isClosed) {
        const upTo = target;
        await sendRange(seen, upTo, false);
        seen = upTo;
      }
    };

    const startPump = () => {
      pumping = pump()
        .catch(() => session.close(1011, 'Could not read events'))
        .finally(() => {
          pumping = undefined;
        });
    };

    if (parsed.backfill) await sendRange(undefined, seen, true);
    ready = true;
    if (target > seen) startPump();
  },
};
