/**
 * In-process SQLite log append speed (no HTTP): appends generated logs through the store in
 * batches, then prints logs/s and µs/log. For trying changes to the append path quickly; the
 * report's figures come from `npm run bench` (over HTTP).
 * Usage: node bench/tools/append-speed.ts [--logs 200k] [--batch 200]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NewLog } from '../../src/domain/logs.ts';
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
const total = parseCount(arg('--logs') ?? '200k');
const batchSize = parseCount(arg('--batch') ?? '200');

const dir = tempDir('append');
const store = openSqliteStore({ path: join(dir, 'sightline.db'), sync: 'normal' });
const { workspace } = await store.tenancy.ensureDefaults();
const data = new LogDataset({ total, end: nowMicros(), spanMicros: 7 * 86_400_000_000 });
const batches: NewLog[][] = [];
while (data.generated < total) {
  batches.push(nextNewLogs(data, Math.min(batchSize, total - data.generated), workspace.id));
}
const t0 = performance.now();
for (const b of batches) await store.logs.append(b);
const s = (performance.now() - t0) / 1000;
process.stdout.write(
  `${total} logs in batches of ${batchSize}: ${Math.round(total / s)} logs/s, ${((s * 1e6) / total).toFixed(1)} µs/log\n`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
