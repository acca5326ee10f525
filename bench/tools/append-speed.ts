/**
 * In-process append speed (no HTTP): appends generated logs (or events, `--kind events`) through the
 * store in batches, from one or more concurrent writers, then prints items/s and µs per item — on a
 * temporary SQLite database, or with `--db URL` on PostgreSQL, where it also prints the database
 * server's CPU µs and WAL bytes per item. For trying changes to the append paths quickly and for
 * the per-item costs in docs/scaling.md; the report's figures come from `npm run bench` (over HTTP).
 * `--text-index` (logs) then fills the text index in the server's chunks and prints its cost the same way.
 * Usage: node bench/tools/append-speed.ts [--kind logs|events] [--logs 200k] [--batch 200] [--writers 1] [--text-index] [--db postgres://…]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type NewEvent, toNewEvent } from '../../src/domain/events/event.ts';
import type { NewLog } from '../../src/domain/logs.ts';
import { nowMicros, parseIsoMicros } from '../../src/domain/time.ts';
import { openStore } from '../../src/store/open.ts';
import { parseCount } from '../lib/args.ts';
import { tempDir } from '../lib/cleanup.ts';
import { DbCpuSampler, postmasterPid } from '../lib/db-cpu.ts';
import { EventDataset } from '../workloads/events-data.ts';
import { LogDataset, nextNewLogs } from '../workloads/logs-data.ts';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const total = parseCount(arg('--logs') ?? '200k');
const batchSize = parseCount(arg('--batch') ?? '200');
const writers = parseCount(arg('--writers') ?? '1');
const pgUrl = arg('--db');
const kind = arg('--kind') ?? 'logs';
const textIndex = argv.includes('--text-index');
if (kind !== 'logs' && kind !== 'events') throw new Error(`--kind: logs or events, not '${kind}'`);

const dir = pgUrl ? undefined : tempDir('append');
const store = await openStore({ url: pgUrl ?? `sqlite:${join(dir!, 'sightline.db')}`, pool: writers + 2 });
const { account, workspace } = await store.tenancy.ensureDefaults();
const end = nowMicros();
const week = 7 * 86_400_000_000;
const batches: (NewLog[] | NewEvent[])[] = [];
if (kind === 'logs') {
  const data = new LogDataset({ total, end, spanMicros: week });
  while (data.generated < total)
    batches.push(nextNewLogs(data, Math.min(batchSize, total - data.generated), workspace.id));
} else {
  // The HTTP benchmark's events: 1–3 KB of JSON with 4–6 related resources.
  const data = new EventDataset({ total, end, spanMicros: week, payloadBytes: [1000, 3000] });
  const tenant = { accountId: account.id, workspaceId: workspace.id };
  while (data.generated < total)
    batches.push(
      data
        .next(Math.min(batchSize, total - data.generated))
        .map((e) => toNewEvent({ ...e, occurred: parseIsoMicros(e.occurred as string) } as never, tenant, end)),
    );
}
const append = (b: NewLog[] | NewEvent[]) =>
  kind === 'logs' ? store.logs.append(b as NewLog[]) : store.events.append(b as NewEvent[]);
// A first batch creates the day partitions (PostgreSQL) outside the measured window.
await append(batches.shift()!);
const counted = total - batchSize;

/** One statement on a connection of its own (PostgreSQL). */
const sql = async (text: string): Promise<Record<string, unknown>[]> => {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
};
const walNow = async (): Promise<bigint | undefined> =>
  pgUrl
    ? BigInt((await sql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS b"))[0].b as string)
    : undefined;
const postmaster = pgUrl ? await postmasterPid(pgUrl) : undefined;

/** Runs `work` over `n` items and prints its rate, database CPU and WAL per item. */
async function measure(label: string, n: number, work: () => Promise<unknown>): Promise<void> {
  const wal0 = await walNow();
  const cpu = new DbCpuSampler(postmaster);
  const t0 = performance.now();
  await work();
  const s = (performance.now() - t0) / 1000;
  const { dbCores } = cpu.stop();
  const wal1 = await walNow();
  const parts = [`${label}: ${Math.round(n / s)} ${kind}/s, ${((s * 1e6) / n).toFixed(1)} µs each`];
  if (dbCores !== undefined) parts.push(`database CPU ${((dbCores * s * 1e6) / n).toFixed(1)} µs each`);
  if (wal0 !== undefined && wal1 !== undefined) parts.push(`WAL ${Math.round(Number(wal1 - wal0) / n)} B each`);
  process.stdout.write(`${parts.join(', ')}\n`);
}

let next = 0;
await measure(`${counted} ${kind} in batches of ${batchSize}, ${writers} writer(s)`, counted, () =>
  Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < batches.length) await append(batches[next++]);
    }),
  ),
);
if (textIndex && kind === 'logs') {
  // The server's indexer on PostgreSQL: chunks of 5,000 logs, one transaction each (src/ingest/text-indexer.ts).
  await measure('text index', total, async () => {
    while ((await store.logs.indexText(5_000)) > 0);
    // What is left in the GIN pending lists is merged later (by autovacuum or the next inserts): count it here.
    if (pgUrl)
      await sql(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i JOIN pg_am a ON a.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid) WHERE a.amname = 'gin' AND i.indrelid::regclass::text LIKE 'logs_text_%'",
      );
  });
}
await store.close();
if (dir) rmSync(dir, { recursive: true, force: true });
