/**
 * SQLite's side of the migration contract (ADR 45). The neutral shapes are this engine's own
 * columns, except an account's key (`k`), which SQLite keeps as the table's rowid; an imported
 * event also gets its related-resource index rows, which are not part of the neutral record.
 */

import { type KindName, type MigrationRecord, type MigrationValue, migrationKind } from '../../domain/migration.ts';
import type { MigrationStore } from '../contract.ts';
import { ridHash } from '../shared/event-keys.ts';
import { kindRows } from '../shared/migration-sql.ts';
import type { Db } from './db.ts';

/** SQLite's name for a neutral column, where it differs. */
const stored = (table: string, column: string): string => (table === 'accounts' && column === 'k' ? 'rowid' : column);

const list = (cols: string[]) => cols.map((c) => `"${c}"`).join(', ');

function source(kind: KindName): string {
  const k = migrationKind(kind);
  const cols = Object.keys(k.columns).map((c) => `${stored(k.table, c)} AS "${c}"`);
  return `(SELECT ${cols.join(', ')} FROM ${k.table}${kindRows(k)})`;
}

export class SqliteMigration implements MigrationStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async exportBatch(kind: KindName, after: MigrationValue[] | undefined, limit: number): Promise<MigrationRecord[]> {
    const { key } = migrationKind(kind);
    const where = after ? ` WHERE (${list(key)}) > (${key.map(() => '?').join(', ')})` : '';
    const sql = `SELECT * FROM ${source(kind)}${where} ORDER BY ${list(key)} LIMIT ?`;
    return this.db.stmt(sql).all(...((after ?? []) as never[]), limit) as MigrationRecord[];
  }

  async importBatch(kind: KindName, records: MigrationRecord[]): Promise<number> {
    const k = migrationKind(kind);
    const cols = Object.keys(k.columns);
    // The token secret replaces the one the target made for itself when it was opened.
    const onConflict =
      kind === 'meta'
        ? 'ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value <> excluded.value'
        : 'ON CONFLICT DO NOTHING';
    const insert = this.db.stmt(
      `INSERT INTO ${k.table} (${cols.map((c) => stored(k.table, c)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ${onConflict}`,
    );
    const related = this.db.stmt('INSERT INTO event_related (rid_hash, seq) VALUES (?, ?) ON CONFLICT DO NOTHING');
    return this.db.tx(() => {
      let added = 0;
      for (const r of records) {
        if (Number(insert.run(...(cols.map((c) => r[c]) as never[])).changes) === 0) continue;
        added++;
        if (kind === 'events') {
          for (const rel of JSON.parse(r.related as string) as Record<string, string>[])
            related.run(ridHash(rel['prefect.resource.id']), r.seq as number);
        }
      }
      return added;
    });
  }

  async lastKey(kind: KindName): Promise<MigrationValue[] | undefined> {
    const { key } = migrationKind(kind);
    const row = this.db
      .stmt(`SELECT ${list(key)} FROM ${source(kind)} ORDER BY ${key.map((c) => `"${c}" DESC`).join(', ')} LIMIT 1`)
      .get() as MigrationRecord | undefined;
    return row && key.map((c) => row[c]);
  }

  async count(kind: KindName): Promise<number> {
    const k = migrationKind(kind);
    const row = this.db.stmt(`SELECT count(*) AS n FROM ${k.table}${kindRows(k)}`).get() as {
      n: number;
    };
    return row.n;
  }

  async finishImport(): Promise<void> {
    // Integer primary keys continue after the highest stored one: nothing to move.
  }

  async source(): Promise<string | undefined> {
    const row = this.db.stmt("SELECT value FROM meta WHERE key = 'migrated_from'").get() as
      | { value: string }
      | undefined;
    return row?.value;
  }

  async markSource(id: string): Promise<void> {
    this.db.tx(() => this.db.stmt("INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated_from', ?)").run(id));
  }
}
