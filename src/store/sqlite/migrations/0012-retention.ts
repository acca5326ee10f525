/**
 * Retention (ADR 42): each workspace's own settings (seconds; null follows the server's flags) and
 * the last sweep's record.
 */
import type { Migration } from './index.ts';

export const retention: Migration = {
  version: 12,
  name: 'retention: workspace settings, last sweeps',
  sql: `
      CREATE TABLE workspace_retention (
        ws INTEGER PRIMARY KEY,
        logs INTEGER,
        events INTEGER,
        runs INTEGER
      );
      CREATE TABLE retention_sweeps (
        ws INTEGER PRIMARY KEY,
        started INTEGER NOT NULL,
        finished INTEGER NOT NULL,
        logs INTEGER NOT NULL,
        events INTEGER NOT NULL,
        runs INTEGER NOT NULL,
        spans INTEGER NOT NULL
      );
    `,
};
