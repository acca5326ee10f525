/**
 * The projections PostgreSQL runs inside every event append transaction, in order: the deltas of
 * `event-deltas.ts` (rollups, flow-run counters, tags; the store adds the task-run recorder), each
 * upserted in one statement (unnest). They see only newly inserted events.
 */
import type { StoredEvent } from '../../domain/events.ts';
import { flowRunEventCounts, rollupDeltas, tagDeltas } from '../shared/event-deltas.ts';
import type { PgEventProjection, PgEventTx } from './events.ts';

export const rollupProjection: PgEventProjection = {
  name: 'event-rollups',
  async apply(tx: PgEventTx, inserted: StoredEvent[]) {
    // A negative key is an account-level event (no workspace, so no resource rollup).
    const d = rollupDeltas(inserted, (e) => {
      const ws = tx.ws(e);
      return { acct: 0, ws, inWorkspace: ws >= 0 };
    });
    const n = d.names;
    await tx.c.query(
      `INSERT INTO event_rollup_names AS r (ws, hour, event, actor, n, first_occurred, last_occurred, actor_name, actor_name_at)
       SELECT * FROM unnest($1::int[], $2::int8[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::text[], $9::int8[])
       ON CONFLICT (ws, hour, event, actor) DO UPDATE SET n = r.n + excluded.n,
         first_occurred = least(r.first_occurred, excluded.first_occurred), last_occurred = greatest(r.last_occurred, excluded.last_occurred),
         actor_name = CASE WHEN excluded.actor_name_at IS NOT NULL AND (r.actor_name_at IS NULL OR excluded.actor_name_at >= r.actor_name_at) THEN excluded.actor_name ELSE r.actor_name END,
         actor_name_at = CASE WHEN excluded.actor_name_at IS NOT NULL AND (r.actor_name_at IS NULL OR excluded.actor_name_at >= r.actor_name_at) THEN excluded.actor_name_at ELSE r.actor_name_at END`,
      [
        n.map((x) => x.ws),
        n.map((x) => x.hour),
        n.map((x) => x.event),
        n.map((x) => x.actor),
        n.map((x) => x.n),
        n.map((x) => x.first),
        n.map((x) => x.last),
        n.map((x) => x.actorName),
        n.map((x) => x.actorNameAt),
      ],
    );
    if (!d.resources.length) return;
    const r = d.resources;
    await tx.c.query(
      `INSERT INTO event_rollup_resources AS r (ws, resource_id, hour, event, n, first_occurred, last_occurred, name, name_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::text[], $9::int8[])
       ON CONFLICT (ws, resource_id, hour, event) DO UPDATE SET n = r.n + excluded.n,
         first_occurred = least(r.first_occurred, excluded.first_occurred), last_occurred = greatest(r.last_occurred, excluded.last_occurred),
         name = CASE WHEN excluded.name_at IS NOT NULL AND (r.name_at IS NULL OR excluded.name_at >= r.name_at) THEN excluded.name ELSE r.name END,
         name_at = CASE WHEN excluded.name_at IS NOT NULL AND (r.name_at IS NULL OR excluded.name_at >= r.name_at) THEN excluded.name_at ELSE r.name_at END`,
      [
        r.map((x) => x.ws),
        r.map((x) => x.resourceId),
        r.map((x) => x.hour),
        r.map((x) => x.event),
        r.map((x) => x.n),
        r.map((x) => x.first),
        r.map((x) => x.last),
        r.map((x) => x.name),
        r.map((x) => x.nameAt),
      ],
    );
  },
};

export const flowRunCountsProjection: PgEventProjection = {
  name: 'flow-run-event-counts',
  async apply(tx: PgEventTx, inserted: StoredEvent[]) {
    const c = flowRunEventCounts(inserted, (e) => tx.ws(e));
    if (!c.length) return;
    await tx.c.query(
      `INSERT INTO flow_run_event_counts AS f (ws, flow_run_id, own, task)
       SELECT * FROM unnest($1::int[], $2::text[], $3::int8[], $4::int8[])
       ON CONFLICT (ws, flow_run_id) DO UPDATE SET own = f.own + excluded.own, task = f.task + excluded.task`,
      [c.map((x) => x.ws), c.map((x) => x.id), c.map((x) => x.own), c.map((x) => x.task)],
    );
  },
};

export const tagProjection: PgEventProjection = {
  name: 'tags',
  async apply(tx: PgEventTx, inserted: StoredEvent[]) {
    const t = tagDeltas(inserted, (e) => tx.ws(e));
    if (!t.length) return;
    await tx.c.query(
      `INSERT INTO tags AS t (ws, name, first_seen, last_seen, n)
       SELECT * FROM unnest($1::int[], $2::text[], $3::int8[], $4::int8[], $5::int8[])
       ON CONFLICT (ws, name) DO UPDATE SET first_seen = least(t.first_seen, excluded.first_seen),
         last_seen = greatest(t.last_seen, excluded.last_seen), n = t.n + excluded.n`,
      [t.map((x) => x.ws), t.map((x) => x.name), t.map((x) => x.first), t.map((x) => x.last), t.map((x) => x.n)],
    );
  },
};

export function pgEventProjections(): PgEventProjection[] {
  return [rollupProjection, flowRunCountsProjection, tagProjection];
}
