import pg from '/work/main/node_modules/pg/lib/index.js';
import { openStore } from '/work/main/src/store/open.ts';
import { nowMicros } from '/work/main/src/domain/time.ts';
import { LogDataset, nextNewLogs } from '/work/main/bench/workloads/logs-data.ts';
const url = process.argv[2];
const store = await openStore({ url, pool: 3 });
const { workspace } = await store.tenancy.ensureDefaults();
const data = new LogDataset({ total: 100000, end: nowMicros(), spanMicros: 7 * 86_400_000_000 });
const batches = [] as any[];
while (data.generated < 100000) batches.push(nextNewLogs(data, 200, workspace.id));
await store.logs.append(batches.shift());
// instrument
const times = new Map<string, number>();
const orig = (pg.Client.prototype as any).query;
(pg.Client.prototype as any).query = function (q: any, v: any, cb: any) {
  const text = typeof q === 'string' ? q : q?.text;
  const key = String(text).replace(/\s+/g, ' ').slice(0, 60);
  const t = performance.now();
  const r = orig.call(this, q, v, cb);
  if (r && typeof r.then === 'function') r.then(() => times.set(key, (times.get(key) ?? 0) + performance.now() - t), () => {});
  return r;
};
const t0 = performance.now();
for (const b of batches) await store.logs.append(b);
const total = performance.now() - t0;
console.log('total ms', total.toFixed(0), 'µs/log', (total * 1000 / 99800).toFixed(1));
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log((v * 1000 / 99800).toFixed(1).padStart(6), 'µs/log', k);
await store.close();
