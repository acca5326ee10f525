/**
 * Managing webhook rules (`/sightline/webhooks`, `sightline webhooks`): a new rule starts at the
 * events committed so far, so it sends only what happens after it was made. The secret is shown
 * once, at creation.
 */
import { randomBytes } from 'node:crypto';
import { AppError, notFound } from '../../domain/errors.ts';
import { uuid4 } from '../../domain/ids.ts';
import { nowMicros } from '../../domain/time.ts';
import {
  WEBHOOKS_PER_WORKSPACE_MAX,
  type Webhook,
  type WebhookCreate,
  type WebhookDelivery,
} from '../../domain/webhooks.ts';
import { type StoreServices, storeOf } from '../context.ts';

export async function createWebhook(
  services: StoreServices,
  workspaceId: string,
  input: WebhookCreate,
): Promise<Webhook> {
  const store = storeOf(services);
  if ((await store.webhooks.list(workspaceId)).length >= WEBHOOKS_PER_WORKSPACE_MAX)
    throw new AppError(
      'invalid_input',
      `The workspace has ${WEBHOOKS_PER_WORKSPACE_MAX} webhooks already, the most it may have: delete one first`,
    );
  // A rule reads events in commit order: the filter's `order` (a default of the schema) means nothing here.
  const { order: _, ...filter } = input.filter ?? {};
  return store.webhooks.create(workspaceId, {
    id: uuid4(),
    filter,
    url: input.url,
    format: input.format,
    secret: input.secret ?? randomBytes(24).toString('base64url'),
    created: nowMicros(),
    position: await store.events.maxSeq(),
  });
}

export function listWebhooks(services: StoreServices, workspaceId: string): Promise<Webhook[]> {
  return storeOf(services).webhooks.list(workspaceId);
}

export async function deleteWebhook(services: StoreServices, workspaceId: string, id: string): Promise<void> {
  if (!(await storeOf(services).webhooks.delete(workspaceId, id))) throw notFound('Webhook');
}

/** A rule's delivery log, newest event first. */
export async function webhookDeliveries(
  services: StoreServices,
  workspaceId: string,
  id: string,
  page: { limit: number; offset: number },
): Promise<WebhookDelivery[]> {
  const store = storeOf(services);
  if (!(await store.webhooks.get(workspaceId, id))) throw notFound('Webhook');
  return store.webhooks.deliveries(workspaceId, id, page);
}
