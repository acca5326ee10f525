/** The PostgreSQL engine's health: the database answers, its schema, its size and the pool's use. */
import type { StoreHealth } from '../contract.ts';
import { schemaProblem } from '../shared/schema-problem.ts';
import type { PgDb } from './db.ts';
import { SCHEMA_VERSION } from './migrations/index.ts';

export function postgresHealth(db: PgDb): StoreHealth {
  return {
    async problems() {
      try {
        const row = await db.one<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
        const problem = schemaProblem(Number(row?.value ?? 0), SCHEMA_VERSION);
        return problem ? [problem] : [];
      } catch (err) {
        return [`database unreachable: ${(err as Error).message}`];
      }
    },
    async sizeBytes() {
      const row = await db.one<{ n: number }>('SELECT pg_database_size(current_database())::int8 AS n');
      return row?.n ?? 0;
    },
    pool: () => ({ total: db.pool.totalCount, idle: db.pool.idleCount, waiting: db.pool.waitingCount }),
  };
}
