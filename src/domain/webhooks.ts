/**
 * Webhook rules (issue 25): per workspace, an events filter (the events API's own) and a target
 * URL; every matching event is POSTed there once, signed with the rule's secret. Pure rules only:
 * the request schema, the delivery body, the retry schedule.
 */
import { type Infer, literal, object, optional, refine, str } from '../lib/schema.ts';
import { FLOW_RUN_PREFIX } from './event-derived.ts';
import { eventFilterOssSchema } from './events/filters.ts';
import type { Micros } from './time.ts';

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Rules per workspace: each one is read on every delivery round. */
export const WEBHOOKS_PER_WORKSPACE_MAX = 100;
export const WEBHOOK_URL_MAX = 2000;
export const WEBHOOK_SECRET_MIN = 16;
export const WEBHOOK_SECRET_MAX = 200;
/** Retries stop this long after the event was first tried. */
export const WEBHOOK_RETRY_WINDOW_MICROS = 24 * 3600 * 1_000_000;
/** The longest wait between two attempts. */
export const WEBHOOK_RETRY_MAX_DELAY_MICROS = 3600 * 1_000_000;

/** An http(s) URL with a host and no credentials, or the message saying what is wrong. */
export function targetUrlProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'Not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `URL scheme must be http or https, not ${u.protocol.slice(0, -1)}`;
  if (u.username || u.password)
    return 'URL must not carry credentials (put them in the receiver, or use the signature)';
  return undefined;
}

export const webhookCreateSchema = object({
  url: refine(str({ min: 1, max: WEBHOOK_URL_MAX }), targetUrlProblem),
  filter: optional(eventFilterOssSchema),
  format: optional(literal(WEBHOOK_FORMATS), () => 'json' as const),
  secret: optional(str({ min: WEBHOOK_SECRET_MIN, max: WEBHOOK_SECRET_MAX })),
});
export type WebhookCreate = Infer<typeof webhookCreateSchema>;

export interface NewWebhook {
  id: string;
  /** The events filter as the caller gave it (validated by `eventFilterOssSchema`). */
  filter: Record<string, unknown>;
  url: string;
  format: WebhookFormat;
  secret: string;
  created: Micros;
  /** Deliveries start after this event `seq`: events committed before the rule are not sent. */
  position: number;
}

export interface Webhook extends NewWebhook {
  workspaceId: string;
}

/** One event's delivery to one rule, as the delivery log keeps it. */
export interface WebhookDelivery {
  eventId: string;
  seq: number;
  /** When the event was queued for the rule. */
  created: Micros;
  attempts: number;
  /** HTTP status of the last attempt; null before any or when it got no answer. */
  status: number | null;
  /** Why the last attempt failed without a status (timeout, connection refused). */
  error: string | null;
  /** When it is tried next; null once delivered or given up. */
  nextAttempt: Micros | null;
  delivered: Micros | null;
  gaveUp: Micros | null;
}

/** A delivery still to make, with the body it sends (fixed when it was queued). */
export interface PendingDelivery {
  eventId: string;
  created: Micros;
  attempts: number;
  body: string;
}

export interface NewDelivery {
  eventId: string;
  seq: number;
  body: string;
  created: Micros;
}

/** What one attempt came to: written to the delivery log. */
export type DeliveryOutcome = Omit<WebhookDelivery, 'seq' | 'created'>;

/**
 * Whether an answer (or none: `status` undefined) is worth another attempt: 5xx, 408, 429 and
 * network failures are; other 4xx say the receiver will never take it.
 */
export function retryable(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

/** The outcome of attempt number `attempts` (1 = the first) of a delivery queued at `created`. */
export function outcomeOf(
  d: { eventId: string; created: Micros },
  attempts: number,
  answer: { status?: number; error?: string },
  now: Micros,
  firstDelay: Micros,
): DeliveryOutcome {
  const base = { eventId: d.eventId, attempts, status: answer.status ?? null, error: answer.error ?? null };
  if (answer.status !== undefined && answer.status >= 200 && answer.status < 300)
    return { ...base, nextAttempt: null, delivered: now, gaveUp: null };
  const delay = Math.min(firstDelay * 2 ** Math.min(attempts - 1, 30), WEBHOOK_RETRY_MAX_DELAY_MICROS);
  const next = now + delay;
  if (!retryable(answer.status) || next > d.created + WEBHOOK_RETRY_WINDOW_MICROS)
    return { ...base, nextAttempt: null, delivered: null, gaveUp: now };
  return { ...base, nextAttempt: next, delivered: null, gaveUp: null };
}

/** The flow run an event is about: its primary resource, or the `flow-run` it relates to. */
export function flowRunOfEvent(e: { resourceId: string; related: Record<string, string>[] }): string | undefined {
  if (e.resourceId.startsWith(FLOW_RUN_PREFIX)) return e.resourceId.slice(FLOW_RUN_PREFIX.length);
  for (const r of e.related) {
    const id = r['prefect.resource.id'];
    if (r['prefect.resource.role'] === 'flow-run' && id?.startsWith(FLOW_RUN_PREFIX))
      return id.slice(FLOW_RUN_PREFIX.length);
  }
  return undefined;
}

/** The body a rule sends for an event rendered as the events API renders it. */
export function deliveryBody(
  format: WebhookFormat,
  event: Record<string, unknown> & { event: unknown; resource: Record<string, string> },
  runUrl: string | null,
): string {
  if (format === 'json') return JSON.stringify({ event, run_url: runUrl });
  const r = event.resource;
  const what = r['prefect.resource.name'] || r['prefect.name'] || r['prefect.resource.id'];
  return JSON.stringify({ text: `${event.event}: ${what}${runUrl ? ` <${runUrl}|open run>` : ''}` });
}
