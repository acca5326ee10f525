/** SQLite: API keys. A key's workspaces are a JSON array (NULL = account-wide). */
import type { ApiKey, NewApiKey } from '../../domain/access.ts';
import { AppError } from '../../domain/errors.ts';
import { nowMicros } from '../../domain/time.ts';
import type { KeyStore } from '../contract.ts';
import { KEY_COLUMNS, keyValues, toApiKey } from '../shared/key-rows.ts';
import type { Row } from '../shared/row-decoding.ts';
import type { Db } from './db.ts';

const decode = (r: Row) => toApiKey(r, (v) => JSON.parse(v as string) as string[]);
const INSERT = `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})`;

export class SqliteKeys implements KeyStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async create(key: NewApiKey): Promise<ApiKey> {
    return this.db.tx(() => {
      if (this.db.stmt('SELECT 1 FROM api_keys WHERE hash = ? OR id = ?').get(key.hash, key.id))
        throw new AppError('conflict', 'A key with this secret or id already exists.');
      this.db.stmt(INSERT).run(...(keyValues(key, nowMicros(), (ids) => JSON.stringify(ids)) as never[]));
      return decode(this.db.stmt('SELECT * FROM api_keys WHERE id = ?').get(key.id) as Row);
    });
  }

  async byHash(hash: string): Promise<ApiKey | undefined> {
    const r = this.db.stmt('SELECT * FROM api_keys WHERE hash = ?').get(hash) as Row | undefined;
    return r ? decode(r) : undefined;
  }

  async list(accountId?: string): Promise<ApiKey[]> {
    const rows =
      accountId === undefined
        ? this.db.stmt('SELECT * FROM api_keys ORDER BY created, id').all()
        : this.db.stmt('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created, id').all(accountId);
    return (rows as Row[]).map(decode);
  }

  async revoke(id: string, at: number): Promise<ApiKey | undefined> {
    return this.db.tx(() => {
      this.db.stmt('UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL').run(at, id);
      const r = this.db.stmt('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
      return r ? decode(r) : undefined;
    });
  }

  async touch(id: string, at: number): Promise<void> {
    this.db
      .stmt('UPDATE api_keys SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used < ?)')
      .run(at, id, at);
  }
}
