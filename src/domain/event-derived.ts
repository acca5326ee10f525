/** Facts derived from events, shared by every engine's projections and by the operations. */
import type { Labels, StoredEvent } from './events.ts';

export const TAG_PREFIX = 'prefect.tag.';
export const FLOW_RUN_PREFIX = 'prefect.flow-run.';
export const TASK_RUN_PREFIX = 'prefect.task-run.';

/** Display name of a resource: `prefect.resource.name`, else `prefect.name`, else null. */
export function resourceName(r: Labels): string | null {
  return r['prefect.resource.name'] || r['prefect.name'] || null;
}

/** Tag names of an event: related resources with role `tag` and id `prefect.tag.<name>`. */
export function tagsOf(e: Pick<StoredEvent, 'related'>): string[] {
  const out: string[] = [];
  for (const r of e.related) {
    const id = r['prefect.resource.id'];
    if (r['prefect.resource.role'] === 'tag' && id.startsWith(TAG_PREFIX) && id.length > TAG_PREFIX.length) {
      const name = id.slice(TAG_PREFIX.length);
      if (!out.includes(name)) out.push(name);
    }
  }
  return out;
}

/** For a task-run event carrying its flow run as related `flow-run`: that flow run's id. */
export function flowRunOfTaskRunEvent(e: Pick<StoredEvent, 'resourceId' | 'related'>): string | undefined {
  if (!e.resourceId.startsWith(TASK_RUN_PREFIX)) return undefined;
  for (const r of e.related) {
    const id = r['prefect.resource.id'];
    if (r['prefect.resource.role'] === 'flow-run' && id.startsWith(FLOW_RUN_PREFIX))
      return id.slice(FLOW_RUN_PREFIX.length);
  }
  return undefined;
}

/** The actor of an event: its related resource with role `actor`, if any. */
export function actorOf(e: Pick<StoredEvent, 'related'>): Labels | undefined {
  return e.related.find((r) => r['prefect.resource.role'] === 'actor');
}
