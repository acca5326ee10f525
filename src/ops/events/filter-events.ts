/**
 * `POST /events/filter` and `GET /events/filter/next`. The first page fixes a snapshot: the
 * concrete `occurred` window, the highest committed `seq` and the exact `total`. Later pages
 * continue with a keyset cursor on `(occurred, id)` inside that snapshot, so paging returns every
 * matching event exactly once even while new events arrive. Page tokens are signed and expire.
 */
import { AppError, invalidField } from '../../domain/errors.ts';
import { receivedEventSchema } from '../../domain/events/render.ts';
import {
  EVENT_DEFAULT_WINDOW_DAYS,
  EVENT_PAGE_DEFAULT,
  EVENT_PAGE_MAX_CLOUD,
  EVENT_PAGE_MAX_OSS,
  type EventCursor,
  type EventFilter,
  type EventFilterInput,
  type EventOrder,
  type EventScope,
  eventFilterCloudSchema,
  eventFilterOssSchema,
  renderEvent,
  type StoredEvent,
} from '../../domain/events.ts';
import { MICROS_PER_DAY, type Micros, nowMicros, startOfUtcDay } from '../../domain/time.ts';
import { array, type Infer, int, named, object, optional, orNull, str } from '../../lib/schema.ts';
import { type PathFamily, storeOf } from '../context.ts';
import { signToken, tokenKey, verifyToken } from '../signed-token.ts';
import type { EventsContext } from './context.ts';

export const PAGE_TOKEN_TTL_MS = 60 * 60 * 1000;
const TOKEN_KIND = 'events-page';

function bodySchema(family: PathFamily) {
  return object(
    {
      filter: optional(family === 'oss' ? eventFilterOssSchema : eventFilterCloudSchema),
      limit: optional(
        int({ min: 0, max: family === 'oss' ? EVENT_PAGE_MAX_OSS : EVENT_PAGE_MAX_CLOUD }),
        () => EVENT_PAGE_DEFAULT,
      ),
    },
    { extra: 'ignore' },
  );
}

const schemas = { oss: bodySchema('oss'), cloud: bodySchema('cloud') };

export function filterEventsSchema(family: PathFamily) {
  return schemas[family];
}

export type FilterEventsInput = Infer<(typeof schemas)[PathFamily]>;

/** Prefect OSS's default window: since the start of today (UTC) minus 180 days, until now. */
export function defaultSince(now: Micros): Micros {
  return startOfUtcDay(now) - EVENT_DEFAULT_WINDOW_DAYS * MICROS_PER_DAY;
}

/** Turns a parsed `EventFilter` into the store's concrete filter. */
export function resolveFilter(
  input: Partial<EventFilterInput> | undefined,
  scope: EventScope,
  now = nowMicros(),
): EventFilter {
  const f = input ?? {};
  const out: EventFilter = {
    since: f.occurred?.since ?? defaultSince(now),
    until: f.occurred?.until ?? now,
  };
  if (f.event) out.event = f.event;
  if (f.resource) out.resource = f.resource;
  if (f.related) out.related = f.related;
  if (f.any_resource) out.any_resource = f.any_resource;
  if (f.id?.id) out.ids = f.id.id;
  if (f.text) out.text = f.text.query;
  if (f.scope) {
    if (f.scope.account && f.scope.account !== scope.accountId) out.foreignAccount = true;
    if (f.scope.workspace) out.workspaces = f.scope.workspace;
  }
  return out;
}

interface PageToken {
  /** Scope key: `w:<workspace id>` or `a:<account id>`. */
  s: string;
  f: EventFilter;
  o: EventOrder;
  n: number;
  t: number;
  /** Events served so far (including a Cloud `offset`). */
  d: number;
  m: number;
  c: EventCursor;
  /** Expiry of the paging session (Unix ms): 1 hour after the first page, kept by later pages. */
  x: number;
}

function scopeKey(scope: EventScope): string {
  return scope.kind === 'workspace' ? `w:${scope.workspaceId}` : `a:${scope.accountId}`;
}

/** `EventPage`: `next_page` is a signed link, null on the last page. */
export const eventPageSchema = named(
  'EventPage',
  object({ events: array(receivedEventSchema), total: int({ min: 0 }), next_page: orNull(str()) }),
);

export interface EventPageBody {
  events: Record<string, unknown>[];
  total: number;
  next_page: string | null;
}

async function page(
  ctx: EventsContext,
  state: Omit<PageToken, 'c' | 's' | 'x'> & { x?: number },
  after: EventCursor | undefined,
  offset: number,
): Promise<EventPageBody> {
  const store = storeOf(ctx.services);
  const events: StoredEvent[] =
    state.n === 0
      ? []
      : await store.events.query(ctx.scope, {
          filter: state.f,
          order: state.o,
          limit: state.n,
          offset,
          after,
          maxSeq: state.m,
        });
  const served = state.d + events.length;
  let next: string | null = null;
  if (events.length === state.n && state.n > 0 && served < state.t) {
    const last = events[events.length - 1];
    // The session's expiry is carried over, so the same token always yields the same next link.
    const x = state.x ?? Date.now() + PAGE_TOKEN_TTL_MS;
    const token: PageToken = {
      ...state,
      x,
      s: scopeKey(ctx.scope),
      d: served,
      c: { occurred: last.occurred, id: last.id },
    };
    const signed = signToken(tokenKey(ctx.services), { ...token }, { kind: TOKEN_KIND, expiresAt: x, avoid: 'next' });
    next = `${ctx.rootUrl}/events/filter/next?page-token=${signed}`;
  }
  const withTenant = ctx.family === 'cloud';
  return { events: events.map((e) => renderEvent(e, withTenant)), total: state.t, next_page: next };
}

export async function filterEvents(ctx: EventsContext, input: FilterEventsInput): Promise<EventPageBody> {
  const f = input.filter as Partial<EventFilterInput> | undefined;
  const filter = resolveFilter(f, ctx.scope);
  const order = f?.order ?? 'DESC';
  const limit = f?.limit ?? input.limit;
  const offset = f?.offset ?? 0;
  const store = storeOf(ctx.services);
  const maxSeq = await store.events.maxSeq();
  const total = await store.events.count(ctx.scope, { filter, order, maxSeq });
  return page(ctx, { f: filter, o: order, n: limit, t: total, d: offset, m: maxSeq }, undefined, offset);
}

export async function nextEventsPage(ctx: EventsContext, token: string | undefined): Promise<EventPageBody> {
  const invalid = new AppError('forbidden', 'Invalid page token');
  if (token === undefined) throw invalidField(['query', 'page-token'], 'Field required', 'missing');
  const t = verifyToken<PageToken>(tokenKey(ctx.services), token, TOKEN_KIND);
  if (!t || t.s !== scopeKey(ctx.scope)) throw invalid;
  return page(ctx, t, t.c, 0);
}
