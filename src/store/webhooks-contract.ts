/**
 * Webhook rules and their deliveries (issue 25, ADR 44), part of the store contract (`Store.webhooks`).
 *
 * A rule's `position` is an event `seq`: every matching event at or below it is in the delivery
 * log, so advancing it and queueing the deliveries happen in one transaction. A rule is delivered
 * by one instance at a time, the holder of its lease; the writes of the delivery worker name the
 * owner and do nothing once another instance took the lease over.
 */
import type { Micros } from '../domain/time.ts';
import type {
  DeliveryOutcome,
  NewDelivery,
  NewWebhook,
  PendingDelivery,
  Webhook,
  WebhookDelivery,
} from '../domain/webhooks.ts';

export interface WebhookStore {
  /** Stores a rule (its id is new: a UUID the caller made). */
  create(workspaceId: string, rule: NewWebhook): Promise<Webhook>;
  get(workspaceId: string, id: string): Promise<Webhook | undefined>;
  /** The workspace's rules, oldest first. */
  list(workspaceId: string): Promise<Webhook[]>;
  /** Deletes a rule with its delivery log; false when there is no such rule. */
  delete(workspaceId: string, id: string): Promise<boolean>;
  /**
   * Leases to `owner` until `until` every rule that is free, whose lease ran out before `now`, or
   * that `owner` holds already, and returns the rules `owner` now holds (every workspace).
   */
  claim(owner: string, now: Micros, until: Micros): Promise<Webhook[]>;
  /** Gives up `owner`'s leases (on shutdown), so another instance continues at once. */
  release(owner: string): Promise<void>;
  /**
   * Queues deliveries (an event already in the rule's log is skipped) and moves the rule's
   * position to `position`, in one transaction; false, writing nothing, when `owner` does not hold
   * the rule's lease (or the rule is gone).
   */
  enqueue(id: string, owner: string, deliveries: NewDelivery[], position: number): Promise<boolean>;
  /** How many of the rule's deliveries are neither delivered nor given up. */
  pendingCount(id: string): Promise<number>;
  /** Deliveries of the rule due at `now` (next attempt ≤ now), earliest first, at most `limit`. */
  due(id: string, now: Micros, limit: number): Promise<PendingDelivery[]>;
  /**
   * Records an attempt's outcome (a finished delivery drops its body); false when `owner` does not
   * hold the rule's lease.
   */
  record(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  /** The rule's delivery log, newest event first, at most `limit` after skipping `offset`. */
  deliveries(workspaceId: string, id: string, page: { limit: number; offset: number }): Promise<WebhookDelivery[]>;
}
