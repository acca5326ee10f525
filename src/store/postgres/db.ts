/**
 * A thin wrapper over a bounded `pg` pool: typed results (int8 → number), queries and transactions.
 * Every PostgreSQL resource module receives a `PgDb` and writes its SQL against it.
 */
import pg from 'pg';

/**
 * `pg` returns int8 (`bigint` columns, `count(*)`) as strings to avoid precision loss. Sightline's
 * int8 values are sequence numbers and microsecond times, both far below 2^53, so they become
 * numbers here, for every query of this pool.
 */
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

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
  }

  /** A new unpooled client with this pool's type parsing (for LISTEN). */
  client(): pg.Client {
    return new pg.Client({ connectionString: this.url, types });
  }

  async query<T = Row>(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<T[]> {
    const r = await on.query(sql, params);
    return r.rows as T[];
  }

  async one<T = Row>(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<T | undefined> {
    return (await this.query<T>(sql, params, on))[0];
  }

  /**
   * Runs `fn` in a transaction on one pooled connection (READ COMMITTED): commits when it
   * resolves, rolls back when it throws.
   */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
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
} as const;
