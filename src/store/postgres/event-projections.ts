/**
 * The projections PostgreSQL runs inside every event append transaction, in order (rollups, flow-run
 * counters, tags; the runs branch adds the task-run recorder). Each upserts its rows in one
 * statement (unnest); they see only newly inserted events.
 */
import { actorOf, flowRunOfTaskRunEvent, resourceName, tagsOf } from '../../domain/event-derived.ts';
import type { StoredEvent } from '../../domain/events.ts';
import type { PgEventProjection, PgEventTx } from './events.ts';

const HOUR = 3_600_000_000;

export const rollupProjection: PgEventProjection = {
  name: 'event-rollups',
  async apply(tx: PgEventTx, inserted: StoredEvent[]) {
    const names = new Map<
      string,
      { ws: number; hour: number; event: string; actor: string; n: number; first: number; last: number; an: string | null; at: number | null }
    >();
    const res = new Map<string, { ws: number; rid: string; hour: number; event: string; n: number; first: number; last: number; name: string | null; at: number | null }>();
    for (const e of inserted) {
      const ws = tx.ws(e);
      const hour = Math.floor(e.occurred / HOUR) * HOUR;
      const actor = actorOf(e);
      const actorId = actor?.['prefect.resource.id'] ?? '';
      const actorName = actor?.['prefect.resource.name'] || null;
      const nk = `${ws}\u0000${hour}\u0000${e.event}\u0000${actorId}`;
      const a = names.get(nk);
      if (!a) names.set(nk, { ws, hour, event: e.event, actor: actorId, n: 1, first: e.occurred, last: e.occurred, an: actorName, at: actorName === null ? null : e.occurred });
      else {
        a.n++;
        a.first = Math.min(a.first, e.occurred);
        a.last = Math.max(a.last, e.occurred);
        if (actorName !== null && (a.at === null || e.occurred >= a.at)) {
          a.an = actorName;
          a.at = e.occurred;
        }
      }
      if (ws < 0) continue;
      const name = resourceName(e.resource);
      const rk = `${ws}\u0000${e.resourceId}\u0000${hour}\u0000${e.event}`;
      const b = res.get(rk);
      if (!b) res.set(rk, { ws, rid: e.resourceId, hour, event: e.event, n: 1, first: e.occurred, last: e.occurred, name, at: name === null ? null : e.occurred });
      else {
        b.n++;
        b.first = Math.min(b.first, e.occurred);
        b.last = Math.max(b.last, e.occurred);
        if (name !== null && (b.at === null || e.occurred >= b.at)) {
          b.name = name;
          b.at = e.occurred;
        }
      }
    }
    const n = [...names.values()];
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
        n.map((x) => x.an),
        n.map((x) => x.at),
      ],
    );
    if (!res.size) return;
    const r = [...res.values()];
    await tx.c.query(
      `INSERT INTO event_rollup_resources AS r (ws, resource_id, hour, event, n, first_occurred, last_occurred, name, name_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::text[], $9::int8[])
       ON CONFLICT (ws, resource_id, hour, event) DO UPDATE SET n = r.n + excluded.n,
         first_occurred = least(r.first_occurred, excluded.first_occurred), last_occurred = greatest(r.last_occurred, excluded.last_occurred),
         name = CASE WHEN excluded.name_at IS NOT NULL AND (r.name_at IS NULL OR excluded.name_at >= r.name_at) THEN excluded.name ELSE r.name END,
         name_at = CASE WHEN excluded.name_at IS NOT NULL AND (r.name_at IS NULL OR excluded.name_at >= r.name_at) THEN excluded.name_at ELSE r.name_at END`,
      [
        r.map((x) => x.ws),
        r.map((x) => x.rid),
        r.map((x) => x.hour),
        r.map((x) => x.event),
        r.map((x) => x.n),
        r.map((x) => x.first),
        r.map((x) => x.last),
        r.map((x) => x.name),
        r.map((x) => x.at),
      ],
    );
  },
};

export const flowRunCountsProjection: PgEventProjection = {
  name: 'flow-run-event-counts',
  async apply(tx: PgEventTx, inserted: StoredEvent[]) {
    const counts = new Map<string, { ws: number; id: string; own: number; task: number }>();
    const bump = (ws: number, id: string, kind: 'own' | 'task') => {
      const key = `${ws}\u0000${id}`;
      let c = counts.get(key);
      if (!c) {
        c = { ws, id, own: 0, task: 0 };
        counts.set(key, c);
      }
      c[kind]++;
    };
    for (const e of inserted) {
      if (e.workspaceId === null) continue;
      if (e.resourceId.startsWith('prefect.flow-run.')) bump(tx.ws(e), e.resourceId.slice('prefect.flow-run.'.length), 'own');
      const run = flowRunOfTaskRunEvent(e);
      if (run) bump(tx.ws(e), run, 'task');
    }
    if (!counts.size) return;
    const c = [...counts.values()];
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
    const tags = new Map<string, { ws: number; name: string; first: number; last: number; n: number }>();
    for (const e of inserted) {
      if (e.workspaceId === null) continue;
      for (const name of tagsOf(e)) {
        const ws = tx.ws(e);
        const key = `${ws}\u0000${name}`;
        const t = tags.get(key);
        if (!t) tags.set(key, { ws, name, first: e.occurred, last: e.occurred, n: 1 });
        else {
          t.n++;
          t.first = Math.min(t.first, e.occurred);
          t.last = Math.max(t.last, e.occurred);
        }
      }
    }
    if (!tags.size) return;
    const t = [...tags.values()];
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
