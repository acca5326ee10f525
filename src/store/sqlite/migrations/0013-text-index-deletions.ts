/**
 * Deleted logs leave the text index (ADR 46): a deletion queues the `seq` of every log it removes;
 * the text index's worker removes their entries and records how far it got in the index file.
 */
import type { Migration } from './index.ts';

export const textIndexDeletions: Migration = {
  version: 13,
  name: 'text index deletions queue',
  sql: `
      CREATE TABLE logs_text_gone (
        -- AUTOINCREMENT: ids are never reused after the queue empties (the worker's mark is an id).
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL
      );
    `,
};
