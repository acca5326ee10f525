/** `EventFilter` (both path families) and what a store query of events is made of. */
import {
  array,
  bool,
  cleanText,
  INVALID,
  type Infer,
  int,
  issuesFull,
  literal,
  object,
  oneOf,
  optional,
  type Schema,
  setOwn,
  stopEarly,
  str,
} from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { TEXT_QUERY_MAX } from '../text-query.ts';
import type { Micros } from '../time.ts';
import { datetime } from '../time.ts';
import { EVENT_OFFSET_MAX_CLOUD, EVENT_PAGE_MAX_CLOUD } from './event.ts';

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
