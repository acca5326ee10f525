/**
 * PostgreSQL's side of the migration contract (ADR 45). Stored shapes that differ from the neutral
 * records: ids as `uuid`, JSON as `jsonb`/`json`, flags as `boolean`, a key's workspaces as `text[]`,
 * account-level events and rollups under a negative workspace key (−account key) instead of an
 * account column, and an event's related-resource hashes as a column. Text keys are compared
 * with the "C" collation so that both engines export in the same order.
 */

import {
  type KindName,
  type MigrationKind,
  type MigrationRecord,
  type MigrationValue,
  migrationKind,
} from '../../domain/migration.ts';
import type { MigrationStore } from '../contract.ts';
import { ridHash } from '../shared/event-keys.ts';
import { kindRows } from '../shared/migration-sql.ts';
import type { PgDb } from './db.ts';
import type { DayPartitions } from './partitions.ts';

/** A workspace key's account key (`ws` of the outer row). */
const ACCOUNT_OF_WS = '(SELECT a.k FROM workspaces w JOIN accounts a ON a.id = w.account_id WHERE w.ws = t.ws)';
/** Kinds whose account-level rows carry −(account key) as `ws`. */
const SIGNED_WS = new Set<string>(['events', 'event_rollup_names']);
/** Most parameters one statement takes (PostgreSQL allows 65,535). */
const MAX_PARAMS = 60_000;

const q = (c: string) => `"${c}"`;
/** How the slots of a log statistics row add up, per column. */
const SLOT_SUMS: Record<string, string> = {
  count: 'sum',
  warn_count: 'sum',
  error_count: 'sum',
  max_seq: 'max',
  first_seen: 'min',
  last_seen: 'max',
};

export class PgMigration implements MigrationStore {
  private readonly db: PgDb;
  private readonly partitions: { logs: DayPartitions; events: DayPartitions };
  /** Column → PostgreSQL type name, per table, read once. */
  private types?: Map<string, Map<string, string>>;

  constructor(db: PgDb, partitions: { logs: DayPartitions; events: DayPartitions }) {
    this.db = db;
    this.partitions = partitions;
  }

  private async typesOf(table: string): Promise<Map<string, string>> {
    if (!this.types) {
      this.types = new Map();
      const rows = await this.db.query<{ table_name: string; column_name: string; udt_name: string }>(
        'SELECT table_name, column_name, udt_name FROM information_schema.columns WHERE table_schema = current_schema()',
      );
      for (const r of rows) {
        let t = this.types.get(r.table_name);
        if (!t) this.types.set(r.table_name, (t = new Map()));
        t.set(r.column_name, r.udt_name);
      }
    }
    return this.types.get(table) ?? new Map();
  }

  /** The kind's rows in their neutral shape, as a subquery. */
  private async neutral(k: MigrationKind): Promise<string> {
    const types = await this.typesOf(k.table);
    const exprs = Object.keys(k.columns).map((c) => {
      let e = `t.${q(c)}`;
      if (SIGNED_WS.has(k.table) && c === 'ws') e = 'greatest(t.ws, 0)';
      else if (c === 'acct' && SIGNED_WS.has(k.table)) e = `CASE WHEN t.ws < 0 THEN -t.ws ELSE ${ACCOUNT_OF_WS} END`;
      else if (c === 'acct') e = ACCOUNT_OF_WS;
      else if (types.get(c) === '_text') e = `to_json(${e})::text`;
      else if (types.get(c) === 'bool') e = `${e}::int`;
      else if (k.columns[c] === 'json' || k.columns[c] === 'text') e = `${e}::text`;
      return `${e} AS ${q(c)}`;
    });
    // Log statistics kept in slots (ADR 49) leave as one record per key: the slots added up.
    if (types.has('slot')) {
      const slots = Object.keys(k.columns).map((c) =>
        k.key.includes(c) ? `t.${q(c)}` : `${SLOT_SUMS[c]}(t.${q(c)})::int8 AS ${q(c)}`,
      );
      const grouped = `(SELECT ${slots.join(', ')} FROM ${k.table} t GROUP BY ${k.key.map((c) => `t.${q(c)}`).join(', ')})`;
      return `(SELECT ${exprs.join(', ')} FROM ${grouped} t)`;
    }
    return `(SELECT ${exprs.join(', ')} FROM ${k.table} t${kindRows(k)})`;
  }

  /** The key columns in export order: text by code point, like SQLite. */
  private static order(k: MigrationKind, desc = false): string[] {
    return k.key.map((c) => `x.${q(c)}${k.columns[c] === 'text' ? ' COLLATE "C"' : ''}${desc ? ' DESC' : ''}`);
  }

  async exportBatch(kind: KindName, after: MigrationValue[] | undefined, limit: number): Promise<MigrationRecord[]> {
    const k = migrationKind(kind);
    const order = PgMigration.order(k);
    const params: unknown[] = [...(after ?? []), limit];
    const where = after ? ` WHERE (${order.join(', ')}) > (${after.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const rows = await this.db.query<MigrationRecord>(
      `SELECT * FROM ${await this.neutral(k)} x${where} ORDER BY ${order.join(', ')} LIMIT $${params.length}`,
      params,
    );
    // bytea arrives as a Buffer; the neutral shape is a plain Uint8Array.
    for (const r of rows) for (const c in r) if (Buffer.isBuffer(r[c])) r[c] = new Uint8Array(r[c] as Buffer);
    return rows;
  }

  /** The record as this engine stores it. */
  private static stored(kind: KindName, r: MigrationRecord): Record<string, unknown> {
    const row: Record<string, unknown> = { ...r };
    if (SIGNED_WS.has(kind)) row.ws = r.ws === 0 ? -(r.acct as number) : r.ws;
    if ('acct' in row) delete row.acct;
    if (kind === 'events')
      row.rid_hashes = (JSON.parse(r.related as string) as Record<string, string>[]).map((x) =>
        ridHash(x['prefect.resource.id']),
      );
    if (kind === 'api_keys' && r.workspace_ids !== null) row.workspace_ids = JSON.parse(r.workspace_ids as string);
    return row;
  }

  async importBatch(kind: KindName, records: MigrationRecord[]): Promise<number> {
    if (!records.length) return 0;
    const k = migrationKind(kind);
    const types = await this.typesOf(k.table);
    const rows = records.map((r) => PgMigration.stored(kind, r));
    const cols = Object.keys(rows[0]);
    if (kind === 'logs') await this.partitions.logs.ensureFor(rows.map((r) => r.timestamp as number));
    if (kind === 'events') await this.partitions.events.ensureFor(rows.map((r) => r.occurred as number));
    const cast = (c: string) => {
      const t = types.get(c);
      return t === 'bool' ? (v: unknown) => (v === null ? null : v === 1) : (v: unknown) => v;
    };
    const casts = cols.map(cast);
    const onConflict =
      kind === 'meta'
        ? 'ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value <> excluded.value'
        : 'ON CONFLICT DO NOTHING';
    return this.db.tx(async (c) => {
      let todo = rows;
      // Logs have no unique key (their table is partitioned by time): leave out the stored ones.
      if (kind === 'logs' || kind === 'events') {
        const seqs = rows.map((r) => r.seq as number);
        const have = await c.query(`SELECT seq FROM ${k.table} WHERE seq = ANY($1::int8[])`, [seqs]);
        const stored = new Set(have.rows.map((r: { seq: unknown }) => Number(r.seq)));
        todo = rows.filter((r) => !stored.has(r.seq as number));
      }
      let added = 0;
      const per = Math.max(1, Math.floor(MAX_PARAMS / cols.length));
      for (let at = 0; at < todo.length; at += per) {
        const chunk = todo.slice(at, at + per);
        const params: unknown[] = [];
        const values = chunk.map(
          (r) =>
            `(${cols
              .map((col, i) => {
                params.push(casts[i](r[col]));
                return `$${params.length}::${types.get(col)}`;
              })
              .join(', ')})`,
        );
        const res = await c.query(
          `INSERT INTO ${k.table} (${cols.map(q).join(', ')}) VALUES ${values.join(', ')} ${onConflict}`,
          params,
        );
        added += res.rowCount ?? 0;
      }
      return added;
    });
  }

  async lastKey(kind: KindName): Promise<MigrationValue[] | undefined> {
    const k = migrationKind(kind);
    const row = await this.db.one<MigrationRecord>(
      `SELECT ${k.key.map((c) => `x.${q(c)}`).join(', ')} FROM ${await this.neutral(k)} x ORDER BY ${PgMigration.order(k, true).join(', ')} LIMIT 1`,
    );
    return row && k.key.map((c) => row[c]);
  }

  async count(kind: KindName): Promise<number> {
    const k = migrationKind(kind);
    const row = await this.db.one<{ n: number }>(`SELECT count(*) AS n FROM ${k.table}${kindRows(k)}`);
    return Number(row?.n ?? 0);
  }

  async finishImport(): Promise<void> {
    for (const [table, column, sequence] of [
      ['logs', 'seq', "'logs_seq'"],
      ['events', 'seq', "'events_seq'"],
      ['workspaces', 'ws', "pg_get_serial_sequence('workspaces', 'ws')"],
      ['accounts', 'k', "pg_get_serial_sequence('accounts', 'k')"],
    ]) {
      await this.db.query(
        `SELECT setval(${sequence}, m) FROM (SELECT max(${column}) AS m FROM ${table}) x WHERE m IS NOT NULL`,
      );
    }
  }

  async source(): Promise<string | undefined> {
    const row = await this.db.one<{ value: string }>("SELECT value FROM meta WHERE key = 'migrated_from'");
    return row?.value;
  }

  async markSource(id: string): Promise<void> {
    await this.db.query(
      "INSERT INTO meta (key, value) VALUES ('migrated_from', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [id],
    );
  }
}
