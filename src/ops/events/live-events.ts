/**
 * The `/events/out` stream: an optional backfill (the last 15 minutes, oldest first, pages of
 * 250), then the events committed after each change-feed notice, read from the store. Reading
 * stops while the connection is full; a subscriber that falls more than `--live-queue` events
 * behind meanwhile is closed rather than silently missing events.
 */
import { type EventCursor, eventFilterCloudSchema, eventFilterOssSchema, renderEvent } from '../../domain/events.ts';
import { nowMicros } from '../../domain/time.ts';
import { bool, type Infer, object, optional } from '../../lib/schema.ts';
import { type OpContext, type PathFamily, storeOf } from '../context.ts';
import { workspaceScope } from './context.ts';
import { resolveFilter } from './filter-events.ts';

export const BACKFILL_WINDOW_MICROS = 15 * 60 * 1_000_000;
export const BACKFILL_PAGE = 250;
/** The first page read after a full connection drained. */
const RESUME_PAGE = 32;
/** `until` of a live subscription that names none: far enough to never end. */
const FOREVER = 253_402_300_799_000_000; // 9999-12-31T23:59:59Z

const filterMessageSchema = (cloud: boolean) =>
  object(
    {
      filter: optional(cloud ? eventFilterCloudSchema : eventFilterOssSchema),
      backfill: optional(bool(), () => true),
    },
    { extra: 'ignore' },
  );
const filterMessages = { oss: filterMessageSchema(false), cloud: filterMessageSchema(true) };

/** The subscriber's `filter` message (without its `type`), per path family. */
export function eventFilterMessageSchema(family: PathFamily) {
  return filterMessages[family];
}
export type EventFilterMessage = Infer<(typeof filterMessages)['cloud']>;

/** Where the stream writes: a websocket session, seen only through what the stream needs. */
export interface EventStreamConnection {
  send(message: object): void;
  /** The connection holds `--ws-max-buffer` unsent bytes. */
  readonly full: boolean;
  drained(): Promise<void>;
  readonly isClosed: boolean;
  onClose(fn: () => void): void;
  /** The subscriber fell too far behind. */
  overflow(reason: string): void;
  /** Reading the store failed. */
  failed(): void;
}

export async function streamEvents(
  ctx: OpContext,
  conn: EventStreamConnection,
  msg: EventFilterMessage,
): Promise<void> {
  const scope = workspaceScope(ctx);
  const workspaceId = ctx.workspace.id;
  const now = nowMicros();
  const input = (msg.filter ?? {}) as Parameters<typeof resolveFilter>[0];
  const filter = resolveFilter(
    { ...input, occurred: { since: input?.occurred?.since, until: input?.occurred?.until ?? FOREVER } },
    scope,
    now,
  );
  filter.since = Math.max(filter.since, now - BACKFILL_WINDOW_MICROS);
  const store = storeOf(ctx.services);
  const withTenant = ctx.family === 'cloud';
  const maxBehind = ctx.services.config['live-queue'];

  // Subscribe first, then take the snapshot: nothing committed in between is missed.
  let target = 0;
  let pumping: Promise<void> | undefined;
  let ready = false;
  /** `target` when the connection filled up and sending stopped; undefined while sending. */
  let stalledAt: number | undefined;
  const unsubscribe = store.changes.subscribe((n) => {
    if (n.stream !== 'events' || n.workspaceId !== workspaceId) return;
    if (n.maxSeq > target) target = n.maxSeq;
    if (stalledAt !== undefined && target - stalledAt > maxBehind) {
      conn.overflow(`Subscriber cannot keep up: more than ${maxBehind} events committed while it was not reading`);
    }
    if (ready && !pumping) startPump();
  });
  conn.onClose(unsubscribe);
  let seen = await store.events.maxSeq();
  const sent = new Set<string>();

  // A full connection stops the page: nothing is held while the client is not reading, and the
  // range continues after the last event sent once it has drained. A drained socket takes about
  // half of --ws-max-buffer, so the page after a stall is small (re-reading 250 events to send
  // a few dozen, at every drain of a slow socket, was most of the server's work); it grows back
  // while the socket keeps up.
  const sendRange = async (minSeq: number | undefined, maxSeq: number, remember: boolean) => {
    let after: EventCursor | undefined;
    let page = BACKFILL_PAGE;
    for (;;) {
      if (conn.full) {
        stalledAt = target;
        await conn.drained();
        stalledAt = undefined;
        page = RESUME_PAGE;
      }
      if (conn.isClosed) return;
      const rows = await store.events.query(scope, { filter, order: 'ASC', limit: page, after, minSeq, maxSeq });
      let i = 0;
      for (; i < rows.length && !conn.full; i++) {
        const e = rows[i];
        if (sent.has(e.id)) continue;
        if (remember) sent.add(e.id);
        conn.send({ type: 'event', event: renderEvent(e, withTenant) });
      }
      if (i === rows.length && rows.length < page) return;
      if (i > 0) after = { occurred: rows[i - 1].occurred, id: rows[i - 1].id };
      if (i === rows.length) page = Math.min(BACKFILL_PAGE, page * 2);
    }
  };
  const pump = async () => {
    while (target > seen && !conn.isClosed) {
      const upTo = target;
      await sendRange(seen, upTo, false);
      seen = upTo;
    }
  };

  const startPump = () => {
    pumping = pump()
      .catch(() => conn.failed())
      .finally(() => {
        pumping = undefined;
      });
  };

  if (msg.backfill) await sendRange(undefined, seen, true);
  ready = true;
  if (target > seen) startPump();
}
