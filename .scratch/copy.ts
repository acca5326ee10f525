import pg from '/work/main/node_modules/pg/lib/index.js';
import { from as copyFrom } from '/tmp/pgcs/node_modules/pg-copy-streams/index.js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { openStore } from '/work/main/src/store/open.ts';
import { nowMicros } from '/work/main/src/domain/time.ts';
import { uuid7 } from '/work/main/src/domain/ids.ts';
import { LogDataset, nextNewLogs } from '/work/main/bench/workloads/logs-data.ts';
import { DbCpuSampler, postmasterPid } from '/work/main/bench/lib/db-cpu.ts';
const url = process.argv[2];
const mode = process.argv[3];
const B = Number(process.argv[4] ?? 200);
const store = await openStore({ url, pool: 3 });
const { workspace } = await store.tenancy.ensureDefaults();
const N = 100000;
const data = new LogDataset({ total: N + B, end: nowMicros(), spanMicros: 7 * 86_400_000_000 });
const batches = [] as any[];
while (data.generated < N + B) batches.push(nextNewLogs(data, B, workspace.id));
await store.logs.append(batches.shift()); // partitions
const c = new pg.Client({ connectionString: url });
await c.connect();
let seq = 10_000_000;
const INSERT = `INSERT INTO logs (ws, seq, id, created, "timestamp", level, name, message, flow_run_id, task_run_id, worker_id)
  SELECT * FROM unnest($1::int[], $2::int8[], $3::uuid[], $4::int8[], $5::int8[], $6::int[], $7::text[], $8::text[], $9::uuid[], $10::uuid[], $11::uuid[])`;
const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
const n = (v: any) => (v === null || v === undefined ? '\\N' : String(v));
const cpu = new DbCpuSampler(await postmasterPid(url));
const t0 = performance.now();
for (const b of batches) {
  await c.query('BEGIN');
  if (mode === 'unnest') {
    const cols = Array.from({ length: 11 }, () => new Array(b.length));
    b.forEach((l: any, i: number) => {
      const v = [1, seq++, uuid7(), l.created, l.timestamp, l.level, l.name, l.message, l.flow_run_id, l.task_run_id, l.worker_id];
      v.forEach((x, j) => (cols[j][i] = x));
    });
    await c.query(INSERT, cols);
  } else {
    let text = '';
    for (const l of b) text += `1\t${seq++}\t${uuid7()}\t${l.created}\t${l.timestamp}\t${l.level}\t${esc(l.name)}\t${esc(l.message)}\t${n(l.flow_run_id)}\t${n(l.task_run_id)}\t${n(l.worker_id)}\n`;
    await pipeline(Readable.from([text]), c.query(copyFrom('COPY logs (ws, seq, id, created, "timestamp", level, name, message, flow_run_id, task_run_id, worker_id) FROM STDIN')));
  }
  await c.query('COMMIT');
}
const s = (performance.now() - t0) / 1000;
const { dbCores } = cpu.stop();
console.log(`${mode} batch ${B}: ${Math.round(N / s)} logs/s, ${(s * 1e6 / N).toFixed(1)} µs/log wall, db CPU ${(dbCores! * s * 1e6 / N).toFixed(1)} µs/log`);
await c.end();
await store.close();
