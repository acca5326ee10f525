/**
 * Where server-emitted run events go: the events writer, as clients' events do (dedup by id, tags,
 * projections, live streams). A run event is built by the server, so it becomes a `NewEvent`
 * directly, without a round trip through Prefect's JSON. An emit resolves once committed.
 */
import { type NewEvent, toNewEvent } from '../../domain/events.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Writer } from '../../ingest/writer.ts';
import type { EventSink } from '../context.ts';

export type { EventSink };

/** The sink backed by the events writer. */
export function eventWriterSink(writer: Writer<NewEvent>): EventSink {
  return {
    emit(workspace, events) {
      const received = nowMicros();
      const tenant = { accountId: workspace.accountId, workspaceId: workspace.id };
      return writer.add(events.map((e) => toNewEvent(e, tenant, received)));
    },
  };
}
