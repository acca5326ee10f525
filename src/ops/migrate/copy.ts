/**
 * Copies one store into another through the migration contract (ADR 45), kind by kind in
 * dependency order, one transaction per batch. A copy stopped anywhere (SIGKILL included) continues
 * at the next run after the highest key the target holds for each kind; imports skip stored keys,
 * so nothing is doubled. At the end both sides are counted and checksummed kind by kind.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../domain/errors.ts';
import { canonicalRecord, MIGRATION_KINDS, type MigrationKind, type MigrationValue } from '../../domain/migration.ts';
import type { Store } from '../../store/contract.ts';

export interface CopyProgress {
  kind: string;
  /** Records of every kind the target holds so far, and how many the source holds. */
  done: number;
  total: number;
  /** Records copied by this run, and its time so far. */
  copied: number;
  ms: number;
}

export interface KindCheck {
  kind: string;
  source: { count: number; checksum: string };
  target: { count: number; checksum: string };
  ok: boolean;
}

export interface MigrateReport {
  sourceId: string;
  copied: number;
  resumed: boolean;
  /** Time spent copying, then verifying. */
  copyMs: number;
  verifyMs: number;
  checks: KindCheck[];
  ok: boolean;
}

/** Identifies a source store: a hash of its page-token secret, made once per database. */
async function storeId(store: Store): Promise<string> {
  return createHash('sha256')
    .update(await store.tenancy.tokenSecret())
    .digest('hex')
    .slice(0, 32);
}

/** A kind's records in key order, `batch` at a time, after the key `after`. */
async function* batches(store: Store, k: MigrationKind, batch: number, after?: MigrationValue[]) {
  for (;;) {
    const records = await store.migration.exportBatch(k.table, after, batch);
    if (records.length) yield records;
    if (records.length < batch) return;
    const last = records[records.length - 1];
    after = k.key.map((c) => last[c]);
  }
}

/** Refuses a target holding another store's data; records where the target's data comes from. */
async function claimTarget(to: Store, sourceId: string): Promise<boolean> {
  const recorded = await to.migration.source();
  if (recorded === sourceId) return true;
  if (recorded !== undefined)
    throw new AppError(
      'conflict',
      `The target holds a migration from another store (source id ${recorded}); use an empty database`,
    );
  if ((await to.migration.count('accounts')) > 0 || (await to.migration.count('logs')) > 0)
    throw new AppError('conflict', 'The target database already holds Sightline data; migrate into an empty database');
  await to.migration.markSource(sourceId);
  return false;
}

export async function copyStore(
  from: Store,
  to: Store,
  opts: { batch: number; onProgress?: (p: CopyProgress) => void },
): Promise<MigrateReport> {
  const started = Date.now();
  const sourceId = await storeId(from);
  const resumed = await claimTarget(to, sourceId);
  let total = 0;
  let done = 0;
  for (const k of MIGRATION_KINDS) {
    total += await from.migration.count(k.table);
    done += await to.migration.count(k.table);
  }
  let copied = 0;
  for (const k of MIGRATION_KINDS) {
    const after = k.replace ? undefined : await to.migration.lastKey(k.table);
    for await (const records of batches(from, k, opts.batch, after)) {
      const added = await to.migration.importBatch(k.table, records);
      copied += added;
      done += added;
      opts.onProgress?.({ kind: k.table, done, total, copied, ms: Date.now() - started });
    }
  }
  await to.migration.finishImport();
  const copyMs = Date.now() - started;
  const checks: KindCheck[] = [];
  for (const k of MIGRATION_KINDS) {
    const [source, target] = await Promise.all([summary(from, k, opts.batch), summary(to, k, opts.batch)]);
    checks.push({
      kind: k.table,
      source,
      target,
      ok: source.count === target.count && source.checksum === target.checksum,
    });
  }
  const verifyMs = Date.now() - started - copyMs;
  return { sourceId, copied, resumed, copyMs, verifyMs, checks, ok: checks.every((c) => c.ok) };
}

/** How many records of a kind a store holds and a hash over them in key order, read in batches. */
async function summary(store: Store, k: MigrationKind, batch: number): Promise<{ count: number; checksum: string }> {
  const hash = createHash('sha256');
  let count = 0;
  for await (const records of batches(store, k, batch)) {
    for (const r of records) hash.update(`${canonicalRecord(k, r)}\n`);
    count += records.length;
  }
  return { count, checksum: hash.digest('hex').slice(0, 16) };
}
