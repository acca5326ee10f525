/**
 * Webhooks (issue 25, ADR 44): rules with their durable position and delivery lease, and the
 * delivery log (the body is kept until the delivery finishes).
 */
import type { Migration } from './index.ts';

export const webhooks: Migration = {
  version: 14,
  name: 'webhooks: rules, delivery log',
  sql: `
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        ws INTEGER NOT NULL,
        filter TEXT NOT NULL,
        url TEXT NOT NULL,
        format TEXT NOT NULL,
        secret TEXT NOT NULL,
        created INTEGER NOT NULL,
        position INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER
      );
      CREATE INDEX webhooks_ws ON webhooks (ws, created);
      CREATE TABLE webhook_deliveries (
        webhook_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        body TEXT,
        created INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status INTEGER,
        error TEXT,
        next_attempt INTEGER,
        delivered INTEGER,
        gave_up INTEGER,
        PRIMARY KEY (webhook_id, event_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt) WHERE next_attempt IS NOT NULL;
      CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, seq);
    `,
};
