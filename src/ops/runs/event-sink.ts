/**
 * Where server-emitted run events go: the event ingest path (dedup by id, tags, live streams),
 * backed by the events store in the composition root. An emit resolves once the events are
 * durable.
 */
import type { RunEvent } from '../../domain/runs/run-events.ts';
import type { Workspace } from '../../domain/tenancy.ts';

export interface EventSink {
  emit(workspace: Workspace, events: RunEvent[]): Promise<void>;
}
