/**
 * In-process view of the SQLite log queries: builds a temporary database of generated logs
 * through the store (no HTTP), indexes it, then prints each query's plan (EXPLAIN QUERY PLAN of
 * every statement it runs) and its median / max time over 11 runs. For finding plan problems,
 * not for the report (`npm run bench` measures through HTTP).
 * Usage: node bench/tools/sqlite-plans.ts [--logs 1m] [--only name,name]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LogFilter, LogQuery } from '../../src/domain/logs.ts';
import { nowMicros } from '../../src/domain/time.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { parseCount } from '../lib/args.ts';
import { tempDir } from '../lib/cleanup.ts';
import { LogDataset, nextNewLogs } from '../workloads/logs-data.ts';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const total = parseCount(arg('--logs') ?? '1m');
const only = arg('--only')?.split(',');

const dir = tempDir('plans');
const store = openSqliteStore({ path: join(dir, 'sightline.db'), sync: 'normal' });
const { workspace } = await store.tenancy.ensureDefaults();
const data = new LogDataset({ total, end: nowMicros(), spanMicros: 7 * 86_400_000_000 });
let t0 = performance.now();
while (data.generated < total) {
  await store.logs.append(nextNewLogs(data, Math.min(5000, total - data.generated), workspace.id));
}
process.stdout.write(`appended ${total} logs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
t0 = performance.now();
while ((await store.logs.indexText(5000)) > 0);
process.stdout.write(`indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

// Print the plan of every statement the queries prepare on the read connection.
const reads = (
  store.logs as unknown as { reads: { stmt: (sql: string) => unknown; raw: import('node:sqlite').DatabaseSync } }
).reads;
const stmt = reads.stmt.bind(reads);
let explain = false;
reads.stmt = (sql: string) => {
  const s = stmt(sql) as Record<string, (...a: unknown[]) => unknown>;
  if (!explain || !/\bFROM logs\b/.test(sql)) return s;
  const wrap =
    (fn: string) =>
    (...params: unknown[]) => {
      process.stdout.write(`  ${sql.replace(/\s+/g, ' ').slice(0, 160)}…\n`);
      for (const r of reads.raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as never[])) as {
        detail: string;
      }[])
        process.stdout.write(`    ${r.detail}\n`);
      return s[fn](...params);
    };
  return { ...s, all: wrap('all'), get: wrap('get') };
};

const run = data.flowRuns()[0];
const span = data.timeAt(data.generated) - data.start;
const win = (f: number, at: number) => {
  const w = Math.floor(span * f);
  const s = data.start + Math.floor((span - w) * at);
  return { after_: s, before_: s + w };
};
const queries: Record<
  string,
  { filter: Omit<LogFilter, 'operator'>; sort?: LogQuery['sort']; limit?: number; offset?: number }
> = {
  level40: { filter: { level: { ge_: 40 } } },
  flow: { filter: { flow_run_id: { any_: [run.id] } } },
  window10: { filter: { timestamp: win(0.1, 0.5) } },
  task: { filter: { task_run_id: { any_: [run.taskRuns[0].id] } }, sort: 'TIMESTAMP_DESC', limit: 50 },
  offset5000: { filter: {}, offset: 5000 },
  flowLevel: { filter: { flow_run_id: { any_: [run.id] }, level: { ge_: 30 } } },
  rare: { filter: { text: { query: 'quokka' } } },
  commonInWindow: { filter: { text: { query: 'records' }, timestamp: win(0.01, 0.5) } },
  phrase: { filter: { text: { query: '"connection reset by peer"' } } },
  common: { filter: { text: { query: 'records' } } },
  phraseDescWindow: {
    filter: { text: { query: '"connection reset by peer"' }, timestamp: win(0.1, 0.3) },
    sort: 'TIMESTAMP_DESC',
  },
  excluded: { filter: { text: { query: 'quokka -records' } } },
};
for (const [name, q] of Object.entries(queries)) {
  if (only && !only.includes(name)) continue;
  const query: LogQuery = {
    filter: { ...q.filter, operator: 'and_' },
    sort: q.sort ?? 'TIMESTAMP_ASC',
    limit: q.limit ?? 200,
    offset: q.offset ?? 0,
  };
  process.stdout.write(`${name}\n`);
  explain = true;
  await store.logs.filter(workspace.id, query);
  explain = false;
  const times: number[] = [];
  let n = 0;
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    n = (await store.logs.filter(workspace.id, query)).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`  => ${n} rows, median ${times[5].toFixed(2)} ms, max ${times[10].toFixed(2)} ms\n`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
