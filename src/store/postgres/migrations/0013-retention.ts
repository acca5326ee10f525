/**
 * Retention (ADR 42): each workspace's own settings (seconds; null follows the server's flags) and
 * the last sweep's record.
 */
import type { Migration } from './index.ts';

export const retention: Migration = {
  version: 13,
  name: 'retention: workspace settings, last sweeps',
  sql: `
    CREATE TABLE workspace_retention (
      ws integer PRIMARY KEY,
      logs bigint,
      events bigint,
      runs bigint
    );
    CREATE TABLE retention_sweeps (
      ws integer PRIMARY KEY,
      started bigint NOT NULL,
      finished bigint NOT NULL,
      logs bigint NOT NULL,
      events bigint NOT NULL,
      runs bigint NOT NULL,
      spans bigint NOT NULL
    );
  `,
};
