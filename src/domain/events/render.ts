/** An event as Prefect renders it (`ReceivedEvent`). */
import { array, jsonObject, named, object, optional, orNull, record, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros } from '../time.ts';
import type { StoredEvent } from './event.ts';

const labels = record(str());

/** `ReceivedEvent`, as `renderEvent` writes it (`account` and `workspace` on Cloud paths). */
export const receivedEventSchema = named(
  'ReceivedEvent',
  object({
    occurred: datetime(),
    event: str(),
    resource: labels,
    related: array(labels),
    payload: jsonObject(),
    id: uuid(),
    follows: orNull(uuid()),
    received: datetime(),
    account: optional(uuid()),
    workspace: optional(orNull(uuid())),
  }),
);

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
