/** Chooses the engine from the database URL. The only module that knows every engine. */
import { resolve } from 'node:path';
import { AppError } from '../domain/errors.ts';
import type { Store } from './contract.ts';
import { openSqliteStore } from './sqlite/index.ts';

export interface OpenStoreOptions {
  url: string;
  sync?: 'normal' | 'full';
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const { url } = opts;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return openSqliteStore({ path: path === ':memory:' ? path : resolve(path), sync: opts.sync ?? 'normal' });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new AppError('unsupported', 'The PostgreSQL engine is not available yet in this build.');
  }
  throw new AppError('invalid_input', `Unsupported --db URL '${url}': use sqlite:<path> or postgres://…`);
}
