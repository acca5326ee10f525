/**
 * Day partitions for time-partitioned tables: `logs` with its text index `logs_text` (UNLOGGED
 * partitions) on `"timestamp"`, and `events` on `occurred` (ADR 8).
 *
 * Each family of tables is partitioned by range on its time column (microseconds), one partition
 * per UTC day named `<table>_dYYYYMMDD`, plus a default partition `<table>_default`. A writer
 * calls `ensureFor(timestamps)` before inserting (start-up does for today and tomorrow):
 * partitions are created on demand, but only for days inside a window around now (`PAST_DAYS`
 * back, `FUTURE_DAYS` ahead), so that arbitrary client timestamps cannot create unbounded numbers
 * of tables; rows outside the window land in the default partition. A day that was once beyond the
 * window (a far-future timestamp) may already have rows in the default partition when its
 * partition is created: creation moves them over in the same transaction. Retention (ADR 43)
 * drops whole days once they have fully expired, and deletes other expired rows in batches.
 */
import type pg from 'pg';
import { formatMicros, MICROS_PER_DAY, nowMicros } from '../../domain/time.ts';
import { LOCK, type PgDb } from './db.ts';

export const PAST_DAYS = 31;
/** How long a day's transaction waits for a lock on its partitions before it is retried. */
const DAY_LOCK_WAIT = '500ms';
/** How long dropping an empty day waits for the parent table's lock (every insert queues behind it). */
const DETACH_LOCK_WAIT = '100ms';
export const FUTURE_DAYS = 2;
/** After a failed creation (e.g. a racing insert into the default partition), wait before retrying. */
const RETRY_MS = 30_000;

export function dayOf(t: number): number {
  return Math.floor(t / MICROS_PER_DAY);
}

export function partitionName(table: string, day: number): string {
  return `${table}_d${formatMicros(day * MICROS_PER_DAY)
    .slice(0, 10)
    .replaceAll('-', '')}`;
}

/** A table partitioned by day; derived data may live in UNLOGGED partitions. */
export interface PartitionedTable {
  name: string;
  unlogged?: boolean;
  /**
   * Columns compressed with lz4 where the server has it: an event's JSON (~2 KB) is compressed on
   * insert, and pglz, the default, costs ~20 % more of the insert's database CPU (ADR 39).
   * Partitions made before keep what they were made with.
   */
  lz4?: string[];
}

export class DayPartitions {
  private readonly db: PgDb;
  /** Tables partitioned together (a row and its derived rows share the day). */
  private readonly tables: PartitionedTable[];
  private readonly known = new Set<number>();
  private readonly failed = new Map<number, number>();
  private readonly creating = new Map<number, Promise<void>>();
  /** Known once asked (a failed question is asked again at the next partition). */
  private lz4: boolean | undefined;

  /** The partition key column (`"timestamp"` for logs, `occurred` for events). */
  private readonly column: string;

  constructor(db: PgDb, tables: PartitionedTable[], column = '"timestamp"') {
    this.db = db;
    this.tables = tables;
    this.column = column;
  }

  /** Makes sure every in-window day of `timestamps` has its partitions. Never throws. */
  async ensureFor(timestamps: Iterable<number>): Promise<void> {
    const today = dayOf(nowMicros());
    const days = new Set<number>();
    for (const t of timestamps) {
      const d = dayOf(t);
      if (d >= today - PAST_DAYS && d <= today + FUTURE_DAYS && !this.known.has(d)) days.add(d);
    }
    for (const d of days) {
      const failedAt = this.failed.get(d);
      if (failedAt !== undefined && Date.now() - failedAt < RETRY_MS) continue;
      let p = this.creating.get(d);
      if (!p) {
        p = this.createDay(d).then(
          () => {
            this.known.add(d);
            this.failed.delete(d);
          },
          () => {
            // Rows of this day go to the default partition meanwhile: still stored, still found.
            this.failed.set(d, Date.now());
          },
        );
        p.finally(() => this.creating.delete(d));
        this.creating.set(d, p);
      }
      await p;
    }
  }

  /** Whether the server was built with lz4 (Debian's and most builds are). */
  private async hasLz4(): Promise<boolean> {
    this.lz4 ??=
      (
        await this.db.one<{ ok: boolean }>(
          "SELECT 'lz4' = ANY(enumvals) AS ok FROM pg_settings WHERE name = 'default_toast_compression'",
        )
      )?.ok === true;
    return this.lz4;
  }

  /** Creates the partitions of `day` (moving its rows out of the default partitions); idempotent. */
  async createDay(day: number): Promise<void> {
    const lo = day * MICROS_PER_DAY;
    const hi = lo + MICROS_PER_DAY;
    const lz4Ok = this.tables.some((t) => t.lz4?.length) && (await this.hasLz4());
    await this.db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK.partitions]);
      for (const { name: table, unlogged, lz4 } of this.tables) {
        const name = partitionName(table, day);
        const exists = await this.db.one('SELECT to_regclass($1) AS r', [name], c);
        if (exists?.r) continue;
        // Created detached, filled with the default partition's rows of that day, then attached:
        // attaching needs only a SHARE UPDATE EXCLUSIVE lock on the parent, so ingest continues.
        await c.query(
          `CREATE ${unlogged ? 'UNLOGGED ' : ''}TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
        );
        if (lz4?.length && lz4Ok)
          await c.query(
            `ALTER TABLE ${name} ${lz4.map((col) => `ALTER COLUMN ${col} SET COMPRESSION lz4`).join(', ')}`,
          );
        await c.query(
          `WITH moved AS (DELETE FROM ${table}_default WHERE ${this.column} >= $1 AND ${this.column} < $2 RETURNING *)
           INSERT INTO ${name} SELECT * FROM moved`,
          [lo, hi],
        );
        await c.query(
          `ALTER TABLE ${name} ADD CONSTRAINT ${name}_range CHECK (${this.column} >= ${lo} AND ${this.column} < ${hi})`,
        );
        await c.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM (${lo}) TO (${hi})`);
      }
    });
  }

  /** Days with an attached partition (of the first table) that ends at or before `before`, oldest first. */
  async daysEndingBy(before: number): Promise<number[]> {
    const first = this.tables[0].name;
    const rows = await this.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = $1::regclass AND c.relname LIKE $2`,
      [first, `${first}\\_d%`],
    );
    const days: number[] = [];
    for (const { name } of rows) {
      const m = /_d(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) continue;
      const day = dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) * 1000);
      if ((day + 1) * MICROS_PER_DAY <= before) days.push(day);
    }
    return days.sort((a, b) => a - b);
  }

  /**
   * Retention on whole days (ADR 43): every day partition ending at or before `before` is emptied,
   * one transaction per day, then the empty ones are dropped where their lock can be had at once.
   * Inside each day's transaction the partitions are locked against writes (SHARE) and
   * `takeShare(c, name, day)` takes their rows' share off the derived tables, returning what it
   * counted — undefined for a day without rows, which is left alone. The day is then truncated:
   * TRUNCATE locks only the day's own partitions, while DETACH would lock the parent table and
   * queue every insert behind it (under continuous ingest it seldom got that lock at all).
   * Returns how many days were emptied or dropped, and each emptied day's count.
   */
  async expireDays<R>(
    before: number,
    takeShare: (c: pg.PoolClient, name: string, day: number) => Promise<R | undefined>,
  ): Promise<{ partitions: number; counted: R[] }> {
    const gone = new Set<number>();
    const counted: R[] = [];
    for (const day of await this.daysEndingBy(before)) {
      const r = await this.retryingDay(() =>
        this.db.tx(async (c) => {
          const name = await this.lockDay(c, day);
          const share = name === undefined ? undefined : await takeShare(c, name, day);
          if (share === undefined) return undefined;
          await c.query(`TRUNCATE ${this.tables.map((t) => partitionName(t.name, day)).join(', ')}`);
          return share;
        }),
      );
      // Counted once the day's transaction committed (a retried attempt counts nothing twice).
      if (r === undefined) continue;
      counted.push(r);
      gone.add(day);
    }
    for (const day of await this.dropEmptyDays(before)) gone.add(day);
    return { partitions: gone.size, counted };
  }

  /**
   * Takes the partition lock and blocks writes into the day's partitions (SHARE), so that what is
   * read of them is all they hold. The first table's partition name, or undefined when the day has
   * none (any more).
   */
  private async lockDay(c: pg.PoolClient, day: number): Promise<string | undefined> {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK.partitions]);
    // Text indexing holds a long lock on `logs_text`: the day waits for it here, not at TRUNCATE.
    if (this.tables.some((t) => t.name === 'logs_text'))
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK.textIndex]);
    // A writer into an old day (late data) holds its partition: wait for it briefly, then retry.
    await c.query(`SET LOCAL lock_timeout = '${DAY_LOCK_WAIT}'`);
    const name = partitionName(this.tables[0].name, day);
    if (!(await this.db.one('SELECT to_regclass($1) AS r', [name], c))?.r) return undefined;
    for (const { name: table } of this.tables) {
      const p = partitionName(table, day);
      if ((await this.db.one('SELECT to_regclass($1) AS r', [p], c))?.r) await c.query(`LOCK TABLE ${p} IN SHARE MODE`);
    }
    return name;
  }

  /**
   * Runs a day's transaction again when it lost a deadlock to a concurrent writer or waited too
   * long for a lock: DDL and ingest take the same tables' locks in different orders, and PostgreSQL
   * then aborts one of them. Up to `attempts` tries.
   */
  private async retryingDay<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (i >= attempts || (code !== '40P01' && code !== '55P03')) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * i));
      }
    }
  }

  /**
   * Detaches and drops the empty partitions of days ending by `before` (derived tables first), one
   * try each: detaching locks the parent table exclusively, queueing every write behind it, so it
   * waits for that lock `DETACH_LOCK_WAIT` at most and otherwise leaves the day to the next sweep —
   * an empty partition costs nothing meanwhile. The days dropped.
   */
  private async dropEmptyDays(before: number): Promise<number[]> {
    const dropped: number[] = [];
    for (const day of await this.daysEndingBy(before)) {
      try {
        const ok = await this.db.tx(async (c) => {
          if (!(await this.lockDay(c, day))) return false;
          const parts: { table: string; p: string }[] = [];
          for (const { name: table } of this.tables) {
            const p = partitionName(table, day);
            if (!(await this.db.one('SELECT to_regclass($1) AS r', [p], c))?.r) continue;
            // Rows arrived for the day since: the next sweep empties it first.
            if ((await c.query(`SELECT 1 FROM ${p} LIMIT 1`)).rows.length) return false;
            parts.push({ table, p });
          }
          await c.query(`SET LOCAL lock_timeout = '${DETACH_LOCK_WAIT}'`);
          for (const { table, p } of parts.reverse()) {
            await c.query(`ALTER TABLE ${table} DETACH PARTITION ${p}`);
            await c.query(`DROP TABLE ${p}`);
          }
          return true;
        });
        if (!ok) continue;
        this.known.delete(day);
        dropped.push(day);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== '40P01' && code !== '55P03') throw err;
      }
    }
    return dropped;
  }
}
