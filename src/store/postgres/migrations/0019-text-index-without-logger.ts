/**
 * The log text index stops indexing the logger name (ADR 49): its text becomes
 * `lower(message) || ' '`, and the name sits beside it, unindexed, for the exact check. Rows
 * indexed before keep the whole searched text and no name; searches read both kinds alike.
 */
import type { Migration } from './index.ts';

export const textIndexWithoutLogger: Migration = {
  version: 19,
  name: 'log text index without the logger name',
  sql: `
    ALTER TABLE logs_text ADD COLUMN name text;
  `,
};
