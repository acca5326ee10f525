/** SQL both engines use for the migration's kinds (ADR 45). */
import type { MigrationKind } from '../../domain/migration.ts';

/** The WHERE clause keeping a kind's rows of its table ('' for every row). */
export function kindRows(k: MigrationKind): string {
  // The kinds are fixed in the code: `equals` is a constant, never input.
  return k.only ? ` WHERE "${k.only.column}" = '${k.only.equals}'` : '';
}
