/**
 * The embedded engine's health: its files on disk. The connections stay open on a file that is
 * deleted or replaced, so writes would go on into a file nobody will open again: readiness checks
 * that the path still names the open file, besides the schema version.
 */
import { statSync } from 'node:fs';
import type { StoreHealth } from '../contract.ts';
import { schemaProblem } from '../shared/schema-problem.ts';
import type { Db } from './db.ts';
import { SCHEMA_VERSION } from './migrations/index.ts';
import { textPath } from './text-index.ts';

const fileSize = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

export function sqliteHealth(db: Db, path: string): StoreHealth {
  const memory = path === ':memory:';
  const opened = memory ? undefined : statSync(path).ino;
  return {
    async problems() {
      if (!memory) {
        const now = statSync(path, { throwIfNoEntry: false });
        if (!now) return [`database unreachable: the file ${path} no longer exists (deleted or moved while open)`];
        if (now.ino !== opened) return [`database unreachable: the file ${path} was replaced while open`];
      }
      try {
        const row = db.stmt("SELECT value FROM meta WHERE key = 'schema_version'").get() as
          | { value: string }
          | undefined;
        const problem = schemaProblem(Number(row?.value ?? 0), SCHEMA_VERSION);
        return problem ? [problem] : [];
      } catch (err) {
        return [`database unreachable: ${(err as Error).message}`];
      }
    },
    async sizeBytes() {
      if (memory) return 0;
      const text = textPath(path);
      return [path, `${path}-wal`, text, `${text}-wal`].reduce((sum, p) => sum + fileSize(p), 0);
    },
    pool: () => undefined,
  };
}
