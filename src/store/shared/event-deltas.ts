/**
 * What a batch of newly stored events adds to the tables derived from them, for every engine (no
 * SQL): hourly rollups, per-flow-run event counters and the workspace tag index. Each engine's
 * projections upsert these deltas in their own SQL, inside the append transaction.
 */
import { actorOf, flowRunOfTaskRunEvent, resourceName, tagsOf } from '../../domain/event-derived.ts';
import type { StoredEvent } from '../../domain/events.ts';
import { HOUR } from './event-count-plan.ts';

/** An event's tenant as the engine keys it; `inWorkspace` is false for account-level events. */
export interface EventTenant {
  acct: number;
  ws: number;
  inWorkspace: boolean;
}

interface Seen {
  n: number;
  first: number;
  last: number;
}

/** Hourly count per (tenant, event name, actor), with the actor's latest known name. */
export interface NameRollup extends Seen {
  acct: number;
  ws: number;
  hour: number;
  event: string;
  actor: string;
  actorName: string | null;
  actorNameAt: number | null;
}

/** Hourly count per (workspace, resource, event name), with the resource's latest known name. */
export interface ResourceRollup extends Seen {
  acct: number;
  ws: number;
  resourceId: string;
  hour: number;
  event: string;
  name: string | null;
  nameAt: number | null;
}

export interface FlowRunEventCount {
  ws: number;
  id: string;
  /** Events of the flow run itself. */
  own: number;
  /** Events of its task runs. */
  task: number;
}

export interface TagSeen extends Seen {
  ws: number;
  name: string;
}

function seen<T extends Seen>(map: Map<string, T>, key: string, at: number, create: () => Omit<T, keyof Seen>): T {
  let s = map.get(key);
  if (!s) {
    s = { ...create(), n: 1, first: at, last: at } as T;
    map.set(key, s);
  } else {
    s.n++;
    s.first = Math.min(s.first, at);
    s.last = Math.max(s.last, at);
  }
  return s;
}

export function rollupDeltas(
  inserted: StoredEvent[],
  tenantOf: (e: StoredEvent) => EventTenant,
): { names: NameRollup[]; resources: ResourceRollup[] } {
  const names = new Map<string, NameRollup>();
  const resources = new Map<string, ResourceRollup>();
  for (const e of inserted) {
    const { acct, ws, inWorkspace } = tenantOf(e);
    const hour = Math.floor(e.occurred / HOUR) * HOUR;
    const actor = actorOf(e);
    const actorId = actor?.['prefect.resource.id'] ?? '';
    const actorName = actor?.['prefect.resource.name'] || null;
    const a = seen(names, `${acct}\u0000${ws}\u0000${hour}\u0000${e.event}\u0000${actorId}`, e.occurred, () => ({
      acct,
      ws,
      hour,
      event: e.event,
      actor: actorId,
      actorName: null,
      actorNameAt: null,
    }));
    if (actorName !== null && (a.actorNameAt === null || e.occurred >= a.actorNameAt)) {
      a.actorName = actorName;
      a.actorNameAt = e.occurred;
    }
    if (!inWorkspace) continue;
    const name = resourceName(e.resource);
    const b = seen(resources, `${ws}\u0000${hour}\u0000${e.event}\u0000${e.resourceId}`, e.occurred, () => ({
      acct,
      ws,
      resourceId: e.resourceId,
      hour,
      event: e.event,
      name: null,
      nameAt: null,
    }));
    if (name !== null && (b.nameAt === null || e.occurred >= b.nameAt)) {
      b.name = name;
      b.nameAt = e.occurred;
    }
  }
  return { names: [...names.values()], resources: [...resources.values()] };
}

/** Events per flow run, own and of its task runs (the ETag of a run's events page). */
export function flowRunEventCounts(inserted: StoredEvent[], wsOf: (e: StoredEvent) => number): FlowRunEventCount[] {
  const counts = new Map<string, FlowRunEventCount>();
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
    if (e.resourceId.startsWith('prefect.flow-run.'))
      bump(wsOf(e), e.resourceId.slice('prefect.flow-run.'.length), 'own');
    const run = flowRunOfTaskRunEvent(e);
    if (run) bump(wsOf(e), run, 'task');
  }
  return [...counts.values()];
}

/** Per workspace tag: how many events carried it, first and last `occurred`. */
export function tagDeltas(inserted: StoredEvent[], wsOf: (e: StoredEvent) => number): TagSeen[] {
  const tags = new Map<string, TagSeen>();
  for (const e of inserted) {
    if (e.workspaceId === null) continue;
    const ws = wsOf(e);
    for (const name of tagsOf(e)) seen(tags, `${ws}\u0000${name}`, e.occurred, () => ({ ws, name }));
  }
  return [...tags.values()];
}
