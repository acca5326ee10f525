/**
 * The log text index moved to a file of its own, built by a worker thread (`../text-index.ts`).
 * The old in-database index is dropped; the new one is built from the logs on first start.
 */
import type { Migration } from './index.ts';

export const logTextIndexFile: Migration = {
  version: 7,
  name: 'log text index in its own file',
  sql: `
      DROP TABLE IF EXISTS logs_text;
      DELETE FROM meta WHERE key = 'logs_text_indexed_upto';
    `,
};
