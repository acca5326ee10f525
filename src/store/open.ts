/** Chooses the engine from the database URL. The only module that knows every engine. */
import { resolve } from 'node:path';
import { AppError } from '../domain/errors.ts';
import type { Store } from './contract.ts';
import { openPostgresStore } from './postgres/index.ts';
import { openSqliteStore } from './sqlite/index.ts';

export interface OpenStoreOptions {
  url: string;
  sync?: 'normal' | 'full';
  /** PostgreSQL: largest number of pooled connections. */
  pool?: number;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const { url } = opts;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return openSqliteStore({ path: path === ':memory:' ? path : resolve(path), sync: opts.sync ?? 'normal' });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgresStore({ url, poolSize: opts.pool ?? 10 });
  }
  throw new AppError('invalid_input', `Unsupported --db URL '${url}': use sqlite:<path> or postgres://…`);
}
