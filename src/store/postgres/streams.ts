/**
 * Positions of append-only streams (logs, events) on PostgreSQL, safe with concurrent writers.
 *
 * A stream's rows get their `seq` from a sequence, but with several writers (connections,
 * instances) positions commit out of order: writer A takes 100–199, writer B takes 200–299 and
 * commits first. A reader that trusted "everything up to 299 is there" would skip 100–199 for ever.
 * So every writer, inside its transaction and before it allocates, takes a shared advisory lock
 * keyed by the stream's tag and a lower bound of the positions it is about to get; the lock goes
 * away only when the transaction ends. `committedUpto` is then the highest position below every
 * in-flight writer's key (SQL function `sightline_committed_upto`): every row at or below it is
 * committed (or rolled back, never to appear). The change feed announces only such positions and
 * the text indexer never moves past one.
 */
import type pg from 'pg';
import type { StreamName } from '../contract.ts';
import type { PgDb } from './db.ts';

export interface StreamSpec {
  /** Top byte of the stream's advisory lock keys (1..126; 127 is `db.ts`'s `LOCK`). */
  tag: number;
  /** The sequence its `seq` comes from. */
  sequence: string;
}

/** Each stream that lives on PostgreSQL registers here. */
export const STREAMS: Partial<Record<StreamName, StreamSpec>> = {
  logs: { tag: 1, sequence: 'logs_seq' },
  events: { tag: 2, sequence: 'events_seq' },
};

export function streamSpec(stream: StreamName): StreamSpec {
  const spec = STREAMS[stream];
  if (!spec) throw new Error(`stream '${stream}' has no PostgreSQL sequence registered in streams.ts`);
  return spec;
}

/**
 * Allocates `n` positions of `stream`, in increasing order, for rows the caller inserts in the
 * same transaction (`c` must be inside `PgDb.tx`).
 */
export async function allocateSeqs(c: pg.PoolClient, stream: StreamName, n: number): Promise<number[]> {
  const { tag, sequence } = streamSpec(stream);
  // The key's position is read in the same statement, before the lock is taken: every position
  // this transaction allocates afterwards is at least that large.
  await c.query(
    `SELECT pg_advisory_xact_lock_shared(($1::bigint << 56) | (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ${sequence}))`,
    [tag],
  );
  const r = await c.query(`SELECT nextval('${sequence}') AS s FROM generate_series(1, $1)`, [n]);
  const seqs = r.rows.map((row: { s: number }) => row.s);
  // nextval is called in row order and the sequence never caches, so this is already sorted;
  // sorting keeps the promise of increasing positions independent of the plan.
  return seqs.sort((a: number, b: number) => a - b);
}

/** Every row of `stream` with `seq <=` the result is committed (or will never appear). */
export async function committedUpto(
  db: PgDb,
  stream: StreamName,
  on: pg.Pool | pg.PoolClient = db.pool,
): Promise<number> {
  const { tag, sequence } = streamSpec(stream);
  const row = await db.one<{ upto: number }>(
    'SELECT sightline_committed_upto($1, $2::regclass) AS upto',
    [tag, sequence],
    on,
  );
  return row!.upto;
}
