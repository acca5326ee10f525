/**
 * A thin wrapper over a bounded `pg` pool: typed results (int8 → number), queries and transactions.
 * Every PostgreSQL resource module receives a `PgDb` and writes its SQL against it.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { AppError } from '../../domain/errors.ts';
import { clampInt8 } from '../shared/row-decoding.ts';

/**
 * `pg` returns int8 (`bigint` columns, `count(*)`) as strings to avoid precision loss. Sightline's
 * int8 values are sequence numbers and microsecond times, both far below 2^53, so they become
 * numbers here, for every query of this pool (clamped like SQLite's, see `clampInt8`).
 */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return clampInt8;
    return pg.types.getTypeParser(oid, format);
  },
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What a PostgreSQL failure means to the caller, in the one error model: a database that is down,
 * restarting or out of connections is `unavailable` (503, which clients retry); a value the
 * database refuses (SQLSTATE class 22, data exception; 54000, too large for an index entry) is the
 * input's fault (422). Validation rejects such values first; this keeps any that slip through
 * from ever becoming a 500.
 */
export function pgError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e?.message ?? String(err);
  if (
    NETWORK_CODES.has(code) ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300' ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  ) {
    return new AppError('unavailable', `The database is unavailable (${code || message}); try again`);
  }
  // 22: data exception; 54000: a value too large for an index entry. Validation keeps both out.
  if (code.startsWith('22') || code === '54000')
    return new AppError('invalid_input', `The database refused a value: ${message}`);
  return err;
}

export type Queryable = pg.Pool | pg.PoolClient;
export type Row = Record<string, unknown>;

export class PgDb {
  readonly pool: pg.Pool;
  readonly url: string;

  constructor(url: string, poolSize: number) {
    this.url = url;
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types, idleTimeoutMillis: 30_000 });
    // An idle client that loses its connection (server restart) is dropped by the pool; without a
    // listener the error would crash the process.
    this.pool.on('error', () => {});
    // The pool removes its listener while a client is checked out, and `pool.connect()` hands the
    // client over a promise: when a release and the server's "terminating connection" arrive in one
    // socket read (a loaded machine), the client is re-acquired and emits 'error' before its new
    // owner's listener is attached. A listener for the client's whole life closes that gap; the
    // error still reaches the failed query, and the pool discards the client at release.
    this.pool.on('connect', (c) => c.on('error', () => {}));
  }

  /** A new unpooled client with this pool's type parsing (for LISTEN). */
  client(): pg.Client {
    return new pg.Client({ connectionString: this.url, types });
  }

  async query<T = Row>(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<T[]> {
    try {
      const r = await on.query(sql, params);
      return r.rows as T[];
    } catch (err) {
      throw pgError(err);
    }
  }

  async one<T = Row>(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<T | undefined> {
    return (await this.query<T>(sql, params, on))[0];
  }

  /**
   * Runs `fn` in a transaction on one pooled connection (READ COMMITTED): commits when it
   * resolves, rolls back when it throws. A transaction PostgreSQL chose as a deadlock's victim is
   * run again (twice at most): ingest and retention's corrections update the same statistics rows,
   * and a writer must not fail a client's request for it. `fn` therefore does database work only.
   */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.txOnce(fn);
      } catch (err) {
        if (attempt >= 3 || (err as { code?: string }).code !== '40P01') throw err;
      }
    }
  }

  private async txOnce<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw pgError(err);
    }
    let broken: unknown;
    // A checked-out client has no error listener of the pool's: a connection lost between two
    // statements (the database stopped) would otherwise be an unhandled 'error' that ends the process.
    const lost = (err: Error) => {
      broken = err;
    };
    c.on('error', lost);
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      const mapped = pgError(err);
      // A connection that failed is not given back to the pool for reuse.
      if (mapped instanceof AppError && mapped.code === 'unavailable') broken = err;
      else await c.query('ROLLBACK').catch((e) => (broken = e));
      throw mapped;
    } finally {
      c.removeListener('error', lost);
      c.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Advisory lock keys (64-bit, one namespace per database). The top byte says what a key locks;
 * stream keys carry a sequence position in the low 56 bits (see `streams.ts`). Keys are passed as
 * decimal strings (`pg` does not serialise BigInt).
 */
const lockKey = (n: bigint) => ((0x7fn << 56n) | n).toString();
export const LOCK = {
  migrate: lockKey(1n),
  tenancy: lockKey(2n),
  partitions: lockKey(3n),
  retention: lockKey(4n),
  /** Held shared by each text-index transaction, exclusively by a day drop (ADR 46). */
  textIndex: lockKey(5n),
} as const;

/** The key that serialises a workspace's OTel span writes (`otel.ts`): the workspace in the low bits. */
export const otelLockKey = (ws: number) => ((0x7en << 56n) | BigInt(ws)).toString();

/**
 * Runs a read as a named prepared statement: the events table has a partition per day, and
 * planning a query over all of them costs more than running it (12 ms vs 1 ms measured); a
 * prepared statement is parsed once per connection and may settle on a generic plan.
 */
export async function prepared<T>(db: PgDb, sql: string, values: unknown[]): Promise<T[]> {
  const name = `ev_${createHash('sha1').update(sql).digest('base64url').slice(0, 24)}`;
  try {
    const r = await db.pool.query({ name, text: sql, values });
    return r.rows as T[];
  } catch (err) {
    throw pgError(err);
  }
}
