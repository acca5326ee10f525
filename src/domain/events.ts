/**
 * Events: Prefect's `Event`, `ReceivedEvent`, `EventFilter` and `EventPage`, with Sightline's
 * stored row. Limits are Prefect's server settings (ref §4.3); unlike Prefect, an event over a
 * limit is rejected loudly instead of dropped.
 */
import type { Issue } from './errors.ts';
import {
  array,
  bool,
  cleanText,
  datetime,
  INVALID,
  type Infer,
  int,
  issuesFull,
  jsonObject,
  KEY_TEXT_MAX_BYTES,
  keyText,
  literal,
  object,
  oneOf,
  optional,
  type Parsed,
  type Schema,
  setOwn,
  stopEarly,
  str,
  uuid,
} from './schema.ts';
import { TEXT_QUERY_MAX } from './text-query.ts';
import { formatMicros, type Micros } from './time.ts';

export const EVENT_NAME_MAX = 1024;
export const EVENT_LABELS_MAX = 500;
export const EVENT_RELATED_MAX = 100;
export const EVENT_SIZE_MAX = 1_500_000;

/** `/events/filter` page sizes: open-source paths allow 0..50, Cloud paths 0..200 (default 50). */
export const EVENT_PAGE_DEFAULT = 50;
export const EVENT_PAGE_MAX_OSS = 50;
export const EVENT_PAGE_MAX_CLOUD = 200;
export const EVENT_OFFSET_MAX_CLOUD = 5000;
/** Prefect OSS's default query window: from the start of today (UTC) minus 180 days. */
export const EVENT_DEFAULT_WINDOW_DAYS = 180;

export type Labels = Record<string, string>;

/** A flat `{label: string}` object with a non-empty `prefect.resource.id` (and role, when related). */
function resourceSchema(kind: 'resource' | 'related'): Schema<Labels> {
  const base = jsonObject();
  const s: Schema<Labels> = {
    parse(v, loc, issues): Parsed<Labels> {
      const fail = (msg: string): typeof INVALID => {
        issues.push({ loc, msg, type: 'value_error', input: v });
        return INVALID;
      };
      const o = base.parse(v, loc, issues);
      if (o === INVALID) return INVALID;
      const keys = Object.keys(o);
      if (keys.length > EVENT_LABELS_MAX)
        return fail(`Value error, The maximum number of labels per resource is ${EVENT_LABELS_MAX}`);
      let ok = true;
      for (let i = 0; i < keys.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, keys.length - i, 'label');
        const k = keys[i];
        if (typeof o[k] !== 'string') {
          issues.push({ loc: [...loc, k], msg: 'Input should be a valid string', type: 'string_type', input: o[k] });
          ok = false;
        }
      }
      if (!ok) return INVALID;
      if (!o['prefect.resource.id']) return fail('Value error, Resources must include the prefect.resource.id label');
      if (Buffer.byteLength(o['prefect.resource.id'] as string) > KEY_TEXT_MAX_BYTES)
        return fail(`Value error, The prefect.resource.id label must be at most ${KEY_TEXT_MAX_BYTES} bytes (UTF-8)`);
      if (kind === 'related' && !o['prefect.resource.role'])
        return fail('Value error, Related Resources must include the prefect.resource.role label');
      return o as Labels;
    },
    json: () => ({ type: 'object', additionalProperties: { type: 'string' } }),
    describe: () => s,
  };
  return s;
}

/** `Event` as clients send it. Unknown keys are ignored, as Prefect does. */
export const eventSchema = object(
  {
    occurred: datetime(),
    event: keyText({ max: EVENT_NAME_MAX }),
    resource: resourceSchema('resource'),
    related: optional(array(resourceSchema('related'), { max: EVENT_RELATED_MAX }), () => [] as Labels[]),
    payload: optional(jsonObject(), () => ({}) as Record<string, unknown>),
    id: uuid(),
    follows: optional(uuid()),
  },
  { extra: 'ignore' },
);
export type EventInput = Infer<typeof eventSchema>;

/** Where an event lives: a workspace of an account, or the account itself (`workspaceId` null). */
export interface EventTenant {
  accountId: string;
  workspaceId: string | null;
}

/** An event ready to be appended: validated, with `received` stamped. JSON parts are kept as text. */
export interface NewEvent extends EventTenant {
  id: string;
  occurred: Micros;
  received: Micros;
  event: string;
  resourceId: string;
  resource: Labels;
  related: Labels[];
  payload: Record<string, unknown>;
  follows: string | null;
}

/** An event as stored: `seq` is the insertion order within the database. */
export interface StoredEvent extends NewEvent {
  seq: number;
}

/**
 * Validates one raw event. Returns the event or the issues, so that callers can reject a whole
 * request (`POST /events`) or a single frame (`/events/in`).
 */
export function validateEvent(
  raw: unknown,
  loc: (string | number)[],
  tenant: EventTenant,
  received: Micros,
  /** Size of the JSON the event came in (or of a whole body holding it), when known. */
  sizeBound?: number,
): NewEvent | Issue[] {
  const issues: Issue[] = [];
  const e = eventSchema.parse(raw, loc, issues);
  if (e === INVALID || issues.length) return issues;
  // Only serialise to measure when the text it came in could be over the limit.
  const size =
    sizeBound !== undefined && sizeBound <= EVENT_SIZE_MAX ? sizeBound : Buffer.byteLength(JSON.stringify(raw));
  if (size > EVENT_SIZE_MAX) {
    return [
      {
        loc,
        msg: `Value error, Event is ${size} bytes, more than the maximum of ${EVENT_SIZE_MAX} bytes`,
        type: 'value_error',
      },
    ];
  }
  return {
    accountId: tenant.accountId,
    workspaceId: tenant.workspaceId,
    id: e.id,
    occurred: e.occurred,
    received,
    event: e.event,
    resourceId: e.resource['prefect.resource.id'],
    resource: e.resource,
    related: e.related,
    payload: e.payload,
    follows: e.follows ?? null,
  };
}

/** Best-effort id of a raw event, for error messages. */
export function rawEventId(raw: unknown): string | null {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 64) : null;
}

// ---- filters ------------------------------------------------------------------------------

const strList = () => array(str());

/** `{label: value | [values]}`, normalised to lists. */
const resourceSpecSchema: Schema<Record<string, string[]>> = (() => {
  const inner = object({}, { extra: 'ignore' });
  const value = oneOf<string | string[]>(str(), array(str()));
  const s: Schema<Record<string, string[]>> = {
    parse(v, loc, issues) {
      if (inner.parse(v, loc, issues) === INVALID) return INVALID;
      const out: Record<string, string[]> = {};
      let ok = true;
      const keys = Object.keys(v as object);
      for (let i = 0; i < keys.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, keys.length - i, 'label');
        const k = keys[i];
        const r = value.parse((v as Record<string, unknown>)[k], [...loc, k], issues);
        if (r === INVALID) ok = false;
        else setOwn(out, cleanText(k), typeof r === 'string' ? [r] : r);
      }
      return ok ? out : INVALID;
    },
    json: () => ({
      type: 'object',
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    }),
    describe: () => s,
  };
  return s;
})();

const relatedFilterSchema = object({
  id: optional(strList()),
  role: optional(strList()),
  resources_in_roles: optional(array(array(str(), { min: 2, max: 2 }))),
  labels: optional(resourceSpecSchema),
});
const anyResourceFilterSchema = object({
  id: optional(strList()),
  id_prefix: optional(strList()),
  labels: optional(resourceSpecSchema),
});

function listOf<T>(s: Schema<T>): Schema<T[]> {
  const single = s;
  const many = array(s);
  const out: Schema<T[]> = {
    parse(v, loc, issues) {
      if (Array.isArray(v)) return many.parse(v, loc, issues);
      const r = single.parse(v, loc, issues);
      return r === INVALID ? INVALID : [r];
    },
    json: () => ({ anyOf: [s.json(), many.json()] }),
    describe: () => out,
  };
  return out;
}

const commonFilterShape = {
  occurred: optional(object({ since: optional(datetime()), until: optional(datetime()) })),
  event: optional(
    object({
      prefix: optional(strList()),
      exclude_prefix: optional(strList()),
      name: optional(strList()),
      exclude_name: optional(strList()),
    }),
  ),
  resource: optional(
    object({
      id: optional(strList()),
      id_prefix: optional(strList()),
      labels: optional(resourceSpecSchema),
      distinct: optional(bool(), () => false),
    }),
  ),
  related: optional(listOf(relatedFilterSchema)),
  any_resource: optional(listOf(anyResourceFilterSchema)),
  id: optional(object({ id: optional(array(uuid())) })),
  text: optional(object({ query: str({ max: TEXT_QUERY_MAX }) })),
  order: optional(literal(['ASC', 'DESC'] as const), () => 'DESC' as const),
};

/** Open-source `EventFilter`: every part forbids unknown keys. */
export const eventFilterOssSchema = object(commonFilterShape);
/** Cloud `EventFilter`: adds `scope`, `limit` (0..200) and `offset` (0..5000). */
export const eventFilterCloudSchema = object({
  ...commonFilterShape,
  scope: optional(object({ account: optional(uuid()), workspace: optional(array(uuid())) })),
  limit: optional(int({ min: 0, max: EVENT_PAGE_MAX_CLOUD })),
  offset: optional(int({ min: 0, max: EVENT_OFFSET_MAX_CLOUD })),
});

export type EventFilterInput = Infer<typeof eventFilterCloudSchema>;
export type EventOrder = 'ASC' | 'DESC';
export type RelatedFilter = Infer<typeof relatedFilterSchema>;
export type AnyResourceFilter = Infer<typeof anyResourceFilterSchema>;

/**
 * A filter ready for the store: the `occurred` window is concrete (defaults applied), lists are
 * normalised. Plain JSON, so that it can travel inside a page token.
 */
export interface EventFilter {
  since: Micros;
  until: Micros;
  event?: { prefix?: string[]; exclude_prefix?: string[]; name?: string[]; exclude_name?: string[] };
  resource?: { id?: string[]; id_prefix?: string[]; labels?: Record<string, string[]>; distinct?: boolean };
  related?: RelatedFilter[];
  any_resource?: AnyResourceFilter[];
  ids?: string[];
  text?: string;
  /** Cloud `scope.workspace`: only these workspaces. */
  workspaces?: string[];
  /** Cloud `scope.account` that differs from the addressed account: nothing matches. */
  foreignAccount?: boolean;
}

/** Where a query looks: one workspace, or an account with all its workspaces and its own events. */
export type EventScope =
  | { kind: 'workspace'; accountId: string; workspaceId: string }
  | { kind: 'account'; accountId: string };

/** A position in `(occurred, id)` order: reads continue strictly after it in the chosen direction. */
export interface EventCursor {
  occurred: Micros;
  id: string;
}

export interface EventQuery {
  filter: EventFilter;
  order: EventOrder;
  limit: number;
  offset?: number;
  after?: EventCursor;
  /** Only events with `seq <= maxSeq` (the snapshot a paged query started from). */
  maxSeq?: number;
  /** Only events with `seq > minSeq` (live streams). */
  minSeq?: number;
}

/** `ReceivedEvent`. Cloud paths add `account` and `workspace`, as Cloud's schema requires. */
export function renderEvent(e: StoredEvent, withTenant: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    occurred: formatMicros(e.occurred),
    event: e.event,
    resource: e.resource,
    related: e.related,
    payload: e.payload,
    id: e.id,
    follows: e.follows,
    received: formatMicros(e.received),
  };
  if (withTenant) {
    out.account = e.accountId;
    out.workspace = e.workspaceId;
  }
  return out;
}

// ---- count-by -----------------------------------------------------------------------------

export const COUNTABLES = ['day', 'time', 'event', 'resource', 'workspace', 'actor'] as const;
export type Countable = (typeof COUNTABLES)[number];
/** What the store groups by (`day` is `time` with one-day buckets). */
export type CountKey = Exclude<Countable, 'day'>;

/** One group of a count-by, before rendering. */
export interface EventCountRow {
  /** Group key: bucket index, event name, resource id, workspace id (`''` for the account), actor id (`''`: none). */
  value: string;
  /** Latest display name of the resource or actor, when there is one. */
  label: string | null;
  count: number;
  first: Micros;
  last: Micros;
}

/** Time buckets of `width` microseconds counted from `origin` (bucket k starts at origin + k·width). */
export interface TimeBuckets {
  origin: Micros;
  width: Micros;
}
