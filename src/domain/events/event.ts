/**
 * Prefect's `Event` as Sightline receives and stores it: limits (Prefect's server settings, ref §4.3;
 * unlike Prefect, an event over a limit is rejected loudly instead of dropped), the schema, the
 * tenant and the validation of one raw event.
 */
import type { Issue } from '../../lib/schema.ts';
import {
  array,
  INVALID,
  type Infer,
  issuesFull,
  jsonObject,
  KEY_TEXT_MAX_BYTES,
  keyText,
  object,
  optional,
  type Parsed,
  type Schema,
  stopEarly,
} from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import type { Micros } from '../time.ts';
import { datetime } from '../time.ts';

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
  return toNewEvent(e, tenant, received);
}

/** The stored form of a valid event (a client's, or one the server emits), for `tenant`. */
export function toNewEvent(
  e: Pick<NewEvent, 'id' | 'occurred' | 'event' | 'resource' | 'related' | 'payload'> & { follows?: string | null },
  tenant: EventTenant,
  received: Micros,
): NewEvent {
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
