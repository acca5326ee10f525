/**
 * The SELECT lists of count-by (`event-count-plan.ts`), for every SQL engine: per key, the group
 * expression, the count, the first and last time, and the latest name where the key has one
 * (`named`: the zero-padded time followed by the name, so that `max` picks the newest).
 */
import type { CountKey, TimeBuckets } from '../../domain/events.ts';
import type { EventSql } from './event-filters.ts';

const NAME_EXPR = "nullif(coalesce(e.resource ->> 'prefect.resource.name', e.resource ->> 'prefect.name', ''), '')";

const named = (e: EventSql, at: string, name: string) => `, max(${e.padded(at)} || ${name}) AS named`;

/** Over `events e`. */
export function exactCountColumns(e: EventSql, key: CountKey, buckets: TimeBuckets | undefined): string {
  const tail = 'count(*) AS n, min(e.occurred) AS first, max(e.occurred) AS last';
  switch (key) {
    case 'time':
      return `${e.bucket('e.occurred', buckets!)} AS k, ${tail}`;
    case 'event':
      return `e.event AS k, ${tail}`;
    case 'resource':
      return `e.resource_id AS k, ${tail}${named(e, 'e.occurred', NAME_EXPR)}`;
    case 'workspace':
      return `e.ws AS k, ${tail}`;
    case 'actor':
      return `coalesce(e.actor_id, '') AS k, ${tail}${named(e, 'e.occurred', 'e.actor_name')}`;
  }
}

/** Over an hourly rollup `r` (`event_rollup_names` or `event_rollup_resources`). */
export function rollupCountColumns(e: EventSql, key: CountKey, buckets: TimeBuckets | undefined): string {
  const tail = `${e.sumInt('r.n')} AS n, min(r.first_occurred) AS first, max(r.last_occurred) AS last`;
  switch (key) {
    case 'time':
      return `${e.bucket('r.hour', buckets!)} AS k, ${tail}`;
    case 'event':
      return `r.event AS k, ${tail}`;
    case 'resource':
      return `r.resource_id AS k, ${tail}${named(e, 'r.name_at', 'r.name')}`;
    case 'workspace':
      return `r.ws AS k, ${tail}`;
    case 'actor':
      return `r.actor AS k, ${tail}${named(e, 'r.actor_name_at', 'r.actor_name')}`;
  }
}
