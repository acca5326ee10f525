/**
 * Webhook SQL both engines share (ADR 25): rules, their leases and the delivery log. `?`
 * placeholders (PostgreSQL numbers them); every statement is a single one, so the engines differ
 * only in how they run a transaction around them.
 */
import type {
  NewDelivery,
  NewWebhook,
  PendingDelivery,
  Webhook,
  WebhookDelivery,
  WebhookFormat,
} from '../../domain/webhooks.ts';

const RULE_COLUMNS = 'h.id, w.id AS workspace_id, h.filter, h.url, h.format, h.secret, h.created, h.position';
const RULES = `SELECT ${RULE_COLUMNS} FROM webhooks h JOIN workspaces w ON w.ws = h.ws`;

/** Parameters: `ruleParams` (workspace key first). */
export const INSERT_RULE_SQL =
  'INSERT INTO webhooks (ws, id, filter, url, format, secret, created, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
/** Parameters: workspace key, id. */
export const GET_RULE_SQL = `${RULES} WHERE h.ws = ? AND h.id = ?`;
/** Parameters: workspace key. */
export const LIST_RULES_SQL = `${RULES} WHERE h.ws = ? ORDER BY h.created, h.id`;
/** Parameters: workspace key, id. */
export const DELETE_RULE_SQL = 'DELETE FROM webhooks WHERE ws = ? AND id = ?';
/** Parameters: id (after the rule went). */
export const DELETE_RULE_DELIVERIES_SQL = 'DELETE FROM webhook_deliveries WHERE webhook_id = ?';
/** Parameters: owner, until, owner, now. */
export const CLAIM_RULES_SQL = `UPDATE webhooks SET lease_owner = ?, lease_until = ?
  WHERE lease_owner IS NULL OR lease_owner = ? OR lease_until < ?`;
/** Parameters: owner. */
export const HELD_RULES_SQL = `${RULES} WHERE h.lease_owner = ? ORDER BY h.created, h.id`;
/** Parameters: owner. */
export const RELEASE_RULES_SQL = 'UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?';
/** Parameters: position, id, owner. Changes a row only while `owner` holds the lease. */
export const ADVANCE_SQL = 'UPDATE webhooks SET position = ? WHERE id = ? AND lease_owner = ?';
/** Parameters: id, owner. */
export const HOLDS_SQL = 'SELECT 1 AS x FROM webhooks WHERE id = ? AND lease_owner = ?';
/** Parameters: id, then `deliveryParams`. */
export const INSERT_DELIVERY_SQL = `INSERT INTO webhook_deliveries (webhook_id, event_id, seq, body, created, next_attempt)
  VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id, event_id) DO NOTHING`;
/** Parameters: id. */
export const PENDING_COUNT_SQL =
  'SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = ? AND next_attempt IS NOT NULL';
/** Parameters: id, now, limit. */
export const DUE_SQL = `SELECT event_id, created, attempts, body FROM webhook_deliveries
  WHERE webhook_id = ? AND next_attempt IS NOT NULL AND next_attempt <= ? ORDER BY next_attempt, seq LIMIT ?`;
/** Parameters: `outcomeParams`, then id, event id. A finished delivery keeps no body. */
export const RECORD_SQL = `UPDATE webhook_deliveries SET attempts = ?, status = ?, error = ?, next_attempt = ?,
  delivered = ?, gave_up = ?, body = CASE WHEN CAST(? AS BIGINT) IS NULL THEN NULL ELSE body END
  WHERE webhook_id = ? AND event_id = ?`;
/** Parameters: workspace key, id, limit, offset. */
export const DELIVERIES_SQL = `SELECT d.event_id, d.seq, d.created, d.attempts, d.status, d.error, d.next_attempt, d.delivered, d.gave_up
  FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
  WHERE h.ws = ? AND h.id = ? ORDER BY d.seq DESC, d.event_id LIMIT ? OFFSET ?`;

export const ruleParams = (ws: number, r: NewWebhook) => [
  ws,
  r.id,
  JSON.stringify(r.filter),
  r.url,
  r.format,
  r.secret,
  r.created,
  r.position,
];

export const deliveryParams = (d: NewDelivery) => [d.eventId, d.seq, d.body, d.created, d.created];

export const outcomeParams = (o: {
  attempts: number;
  status: number | null;
  error: string | null;
  nextAttempt: number | null;
  delivered: number | null;
  gaveUp: number | null;
}) => [o.attempts, o.status, o.error, o.nextAttempt, o.delivered, o.gaveUp, o.nextAttempt];

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function ruleOf(r: Row): Webhook {
  return {
    id: String(r.id),
    workspaceId: String(r.workspace_id),
    filter: JSON.parse(String(r.filter)) as Record<string, unknown>,
    url: String(r.url),
    format: String(r.format) as WebhookFormat,
    secret: String(r.secret),
    created: num(r.created),
    position: num(r.position),
  };
}

export function pendingOf(r: Row): PendingDelivery {
  return { eventId: String(r.event_id), created: num(r.created), attempts: num(r.attempts), body: String(r.body) };
}

export function deliveryOf(r: Row): WebhookDelivery {
  return {
    eventId: String(r.event_id),
    seq: num(r.seq),
    created: num(r.created),
    attempts: num(r.attempts),
    status: numOrNull(r.status),
    error: r.error === null || r.error === undefined ? null : String(r.error),
    nextAttempt: numOrNull(r.next_attempt),
    delivered: numOrNull(r.delivered),
    gaveUp: numOrNull(r.gave_up),
  };
}
