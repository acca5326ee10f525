/**
 * The log text index (`logs_text`) gains a b-tree on `seq`. Its rows are found by the trigram index
 * alone, so removing the rows of removed logs (retention under a shorter setting, a run's deletion)
 * scanned every partition of the table: 4.6 s per 50-row retention batch with 13M indexed logs.
 * With it each removed log costs one probe in its day's partition (issue 24's benchmark).
 */
import type { Migration } from './index.ts';

export const textIndexBySeq: Migration = {
  version: 16,
  name: 'log text index by seq: removing a log finds its text row by index',
  sql: `
    CREATE INDEX logs_text_seq ON logs_text (seq);
  `,
};
