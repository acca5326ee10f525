/** An event as Prefect renders it (`ReceivedEvent`). */
import { formatMicros } from '../time.ts';
import type { StoredEvent } from './event.ts';

export function renderEvent(e: StoredEvent, withTenant: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    occurred: formatMicros(e.occurred),
    event: e.event,
    resource: e.resource,
    related: e.related,
    payload: e.payload,
    id: e.id,
    follows: e.follows,
    received: formatMicros(e.received),
  };
  if (withTenant) {
    out.account = e.accountId;
    out.workspace = e.workspaceId;
  }
  return out;
}
