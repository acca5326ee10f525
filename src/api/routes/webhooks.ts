/**
 * `/sightline/webhooks` (both path families, admin scope): a workspace's webhook rules and their
 * delivery logs (issue 25, ADR 44). The secret that signs deliveries is in the answer to the
 * create only.
 */
import { formatMicros, type Micros } from '../../domain/time.ts';
import { WEBHOOK_FORMATS, type Webhook, type WebhookDelivery, webhookCreateSchema } from '../../domain/webhooks.ts';
import { array, int, jsonObject, literal, named, object, optional, orNull, str } from '../../lib/schema.ts';
import { createWebhook, deleteWebhook, listWebhooks, webhookDeliveries } from '../../ops/webhooks/rules.ts';
import { type RouteDef, route } from '../router.ts';

const TAG = 'Webhooks';
const DELIVERY_PAGE_MAX = 200;

const ruleShape = {
  id: str(),
  url: str(),
  format: literal(WEBHOOK_FORMATS),
  filter: jsonObject(),
  created: str(),
};
const webhookSchema = named('Webhook', object(ruleShape));
const createdWebhookSchema = named('CreatedWebhook', object({ ...ruleShape, secret: str() }));
const deliverySchema = named(
  'WebhookDelivery',
  object({
    event_id: str(),
    created: str(),
    attempts: int({ min: 0 }),
    status_code: orNull(int()),
    error: orNull(str()),
    next_attempt: orNull(str()),
    delivered: orNull(str()),
    gave_up: orNull(str()),
  }),
);
const deliveriesQuerySchema = object({
  limit: optional(int({ min: 0, max: DELIVERY_PAGE_MAX }), () => 50),
  offset: optional(int({ min: 0 }), () => 0),
});

const iso = (t: Micros | null) => (t === null ? null : formatMicros(t));

export function renderWebhook(w: Webhook) {
  return { id: w.id, url: w.url, format: w.format, filter: w.filter, created: formatMicros(w.created) };
}

export function renderDelivery(d: WebhookDelivery) {
  return {
    event_id: d.eventId,
    created: formatMicros(d.created),
    attempts: d.attempts,
    status_code: d.status,
    error: d.error,
    next_attempt: iso(d.nextAttempt),
    delivered: iso(d.delivered),
    gave_up: iso(d.gaveUp),
  };
}

export const webhookRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/sightline/webhooks',
    tag: TAG,
    scope: 'admin',
    summary:
      'Create a webhook: every event matching `filter` (the events API filter) committed from now on is POSTed to `url`, signed with `secret` (given, else made: shown only in this answer). 201.',
    body: webhookCreateSchema,
    status: 201,
    response: createdWebhookSchema,
    handler: async (ctx, { body }) => {
      const w = await createWebhook(ctx.services, ctx.workspace.id, body);
      return { ...renderWebhook(w), secret: w.secret };
    },
  }),
  route({
    method: 'GET',
    path: '/sightline/webhooks',
    tag: TAG,
    scope: 'admin',
    summary: "The workspace's webhooks, oldest first (without their secrets).",
    response: array(webhookSchema),
    handler: async (ctx) => (await listWebhooks(ctx.services, ctx.workspace.id)).map(renderWebhook),
  }),
  route({
    method: 'DELETE',
    path: '/sightline/webhooks/:id',
    tag: TAG,
    scope: 'admin',
    summary: 'Delete a webhook and its delivery log: 204 (404 when there is none).',
    status: 204,
    response: null,
    handler: (ctx, { params }) => deleteWebhook(ctx.services, ctx.workspace.id, params.id),
  }),
  route({
    method: 'GET',
    path: '/sightline/webhooks/:id/deliveries',
    tag: TAG,
    scope: 'admin',
    summary:
      "A webhook's delivery log, newest event first: attempts, the last status code or error, the next attempt, when it was delivered or given up.",
    query: deliveriesQuerySchema,
    response: array(deliverySchema),
    handler: async (ctx, { params, query }) =>
      (await webhookDeliveries(ctx.services, ctx.workspace.id, params.id, query)).map(renderDelivery),
  }),
];
