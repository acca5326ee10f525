/**
 * Where server-emitted run events go: the event ingest path (validation, dedup by id, tags,
 * projections, live streams) through the events writer. An emit resolves once the events are
 * committed.
 */
import { AppError } from '../../domain/errors.ts';
import { type NewEvent, validateEvent } from '../../domain/events.ts';
import type { RunEvent } from '../../domain/runs/run-events.ts';
import type { Workspace } from '../../domain/tenancy.ts';
import { formatMicros, nowMicros } from '../../domain/time.ts';
import type { GroupCommit } from '../../ingest/group-commit.ts';

export interface EventSink {
  emit(workspace: Workspace, events: RunEvent[]): Promise<void>;
}

/** The Prefect `Event` JSON of a run event, as a client would send it. */
export function eventJson(e: RunEvent): Record<string, unknown> {
  return {
    occurred: formatMicros(e.occurred),
    event: e.event,
    resource: e.resource,
    related: e.related,
    payload: e.payload,
    id: e.id,
    follows: e.follows,
  };
}

/** The sink backed by the events writer: server events take the same path as clients' events. */
export function eventWriterSink(writer: GroupCommit<NewEvent>): EventSink {
  return {
    async emit(workspace, events) {
      const received = nowMicros();
      const tenant = { accountId: workspace.accountId, workspaceId: workspace.id };
      const rows: NewEvent[] = [];
      for (const e of events) {
        const r = validateEvent(eventJson(e), [], tenant, received);
        if (Array.isArray(r))
          throw new AppError(
            'internal',
            `server event ${e.event} ${e.id} is invalid: ${r.map((i) => i.msg).join('; ')}`,
          );
        rows.push(r);
      }
      await writer.add(rows);
    },
  };
}
