/**
 * Event ingest, shared by `POST /events`, `/events/in` and server-emitted events: validate, stamp
 * `received`, then hand to the group-commit writer, which resolves once the events are committed
 * (duplicates are no-ops in the store).
 */
import { type AppError, invalidInput } from '../../domain/errors.ts';
import { type EventTenant, type NewEvent, rawEventId, validateEvent } from '../../domain/events.ts';
import { parseJsonText } from '../../domain/json-text.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Writer } from '../../ingest/writer.ts';
import { type Issue, issuesFull, stopEarly } from '../../lib/schema.ts';

/** Validates a `POST /events` body; every invalid event is named (index and id) in one 422. */
export function parseEventBatch(body: unknown, tenant: EventTenant, bodyBytes?: number): NewEvent[] {
  if (!Array.isArray(body)) {
    throw invalidInput(
      [{ loc: ['body'], msg: 'Input should be a valid list', type: 'list_type', input: body ?? null }],
      body ?? null,
    );
  }
  const received = nowMicros();
  const out: NewEvent[] = new Array(body.length);
  const issues: Issue[] = [];
  for (let i = 0; i < body.length; i++) {
    if (issuesFull(issues)) {
      stopEarly(issues, ['body'], body.length - i, 'event');
      break;
    }
    const r = validateEvent(body[i], ['body', i], tenant, received, bodyBytes);
    if (Array.isArray(r)) {
      const id = rawEventId(body[i]);
      for (const issue of r) issues.push(id ? { ...issue, msg: `${issue.msg} (event ${id.slice(0, 64)})` } : issue);
    } else out[i] = r;
  }
  if (issues.length) throw invalidInput(issues, body);
  return out;
}

/**
 * The receiver of `POST /events`: validates the batch for `tenant` and resolves once the writer has
 * committed it. `bodyBytes`: the request body's size, when known (no event of a smaller body can be
 * too big).
 */
export function receiveEvents(
  writer: Writer<NewEvent>,
  tenant: EventTenant,
  body: unknown,
  bodyBytes?: number,
): Promise<void> {
  return writer.add(parseEventBatch(body, tenant, bodyBytes));
}

/** One `/events/in` frame: the event, or an error naming it (the socket stays open). */
export function parseEventFrame(
  text: string,
  tenant: EventTenant,
): NewEvent | { eventId: string | null; message: string } {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (err) {
    const issue = (err as AppError).issues?.[0];
    return { eventId: null, message: `Invalid JSON: ${issue?.msg ?? (err as Error).message}` };
  }
  const r = validateEvent(raw, [], tenant, nowMicros(), text.length * 3);
  if (!Array.isArray(r)) return r;
  // Bounded like every error (few issues, short locations, no echoed input).
  const issues = invalidInput(r).issues;
  const message = issues.map((i) => (i.loc.length ? `${i.loc.join('.')}: ${i.msg}` : i.msg)).join('; ');
  return { eventId: rawEventId(raw), message: message || 'Invalid event' };
}
