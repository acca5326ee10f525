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
      id text PRIMARY KEY,
      ws integer NOT NULL,
      filter text NOT NULL,
      url text NOT NULL,
      format text NOT NULL,
      secret text NOT NULL,
      created bigint NOT NULL,
      position bigint NOT NULL,
      lease_owner text,
      lease_until bigint
    );
    CREATE INDEX webhooks_ws ON webhooks (ws, created);
    CREATE TABLE webhook_deliveries (
      webhook_id text NOT NULL,
      event_id text NOT NULL,
      seq bigint NOT NULL,
      body text,
      created bigint NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      status integer,
      error text,
      next_attempt bigint,
      delivered bigint,
      gave_up bigint,
      PRIMARY KEY (webhook_id, event_id)
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt) WHERE next_attempt IS NOT NULL;
    CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, seq);
  `,
};
