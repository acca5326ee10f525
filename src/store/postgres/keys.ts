/** PostgreSQL: API keys. A key's workspaces are a text array (NULL = account-wide). */
import type { ApiKey, NewApiKey } from '../../domain/access.ts';
import { AppError } from '../../domain/errors.ts';
import { nowMicros } from '../../domain/time.ts';
import type { KeyStore } from '../contract.ts';
import { KEY_COLUMNS, keyValues, toApiKey } from '../shared/key-rows.ts';
import type { Row } from '../shared/row-decoding.ts';
import type { PgDb } from './db.ts';

const UNIQUE_VIOLATION = '23505';
const decode = (r: Row) => toApiKey(r, (v) => v as string[]);
const INSERT = `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;

export class PgKeys implements KeyStore {
  private readonly db: PgDb;

  constructor(db: PgDb) {
    this.db = db;
  }

  async create(key: NewApiKey): Promise<ApiKey> {
    try {
      return decode(
        (await this.db.one<Row>(
          INSERT,
          keyValues(key, nowMicros(), (ids) => ids),
        ))!,
      );
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION)
        throw new AppError('conflict', 'A key with this secret or id already exists.');
      throw err;
    }
  }

  async byHash(hash: string): Promise<ApiKey | undefined> {
    const r = await this.db.one<Row>('SELECT * FROM api_keys WHERE hash = $1', [hash]);
    return r ? decode(r) : undefined;
  }

  async list(accountId?: string): Promise<ApiKey[]> {
    const rows =
      accountId === undefined
        ? await this.db.query<Row>('SELECT * FROM api_keys ORDER BY created, id')
        : await this.db.query<Row>('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created, id', [accountId]);
    return rows.map(decode);
  }

  async revoke(id: string, at: number): Promise<ApiKey | undefined> {
    const r = await this.db.one<Row>('UPDATE api_keys SET revoked = COALESCE(revoked, $2) WHERE id = $1 RETURNING *', [
      id,
      at,
    ]);
    return r ? decode(r) : undefined;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.query('UPDATE api_keys SET last_used = $2 WHERE id = $1 AND (last_used IS NULL OR last_used < $2)', [
      id,
      at,
    ]);
  }
}
