/**
 * `sightline migrate` (issue 25): an SQLite store of `--logs` logs (1M by default) and a fifth as
 * many events, filled through the store, copied by a `sightline migrate` child into a throwaway
 * PostgreSQL cluster (durable settings) and verified. Reports the copy's rate (records/s, as the
 * command reports its copy time), the verification's time, and the child's peak RSS. Runs only
 * when asked (`--migrate`): it starts its own cluster whatever `--db` says.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { startPgCluster } from '../../scripts/pg-cluster.ts';
import { nowMicros } from '../../src/domain/time.ts';
import { openStore } from '../../src/store/open.ts';
import { tempDir, trackChild } from '../lib/cleanup.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { ProcSampler } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import { REPO_ROOT } from '../lib/server.ts';
import { int, mb } from '../lib/stats.ts';
import { prng } from './logs-data.ts';

const RUNS = 200;
const WEEK = 7 * 86_400 * 1_000_000;

/** Fills an SQLite store through the store contract (faster than HTTP; the copy is what is measured). */
async function fill(path: string, logs: number, events: number): Promise<void> {
  const store = await openStore({ url: `sqlite:${path}` });
  try {
    const { account, workspace } = await store.tenancy.ensureDefaults();
    const ws = workspace.id;
    const rand = prng(25);
    const end = nowMicros();
    const runs = Array.from({ length: RUNS }, () => crypto.randomUUID());
    for (let at = 0; at < logs; at += 10_000) {
      const n = Math.min(10_000, logs - at);
      await store.logs.append(
        Array.from({ length: n }, (_, i) => ({
          workspaceId: ws,
          id: crypto.randomUUID(),
          created: end,
          timestamp: end - WEEK + Math.floor(((at + i) / logs) * WEEK),
          level: [10, 20, 20, 20, 30, 40][Math.floor(rand() * 6)],
          name: `app.module${Math.floor(rand() * 20)}`,
          message: `step ${at + i} finished with result ${Math.floor(rand() * 1e6)}`,
          flow_run_id: runs[(at + i) % RUNS],
          task_run_id: null,
          worker_id: null,
        })),
      );
    }
    for (let at = 0; at < events; at += 2_000) {
      const n = Math.min(2_000, events - at);
      await store.events.append(
        Array.from({ length: n }, (_, i) => {
          const run = runs[(at + i) % RUNS];
          return {
            accountId: account.id,
            workspaceId: ws,
            id: crypto.randomUUID(),
            occurred: end - WEEK + Math.floor(((at + i) / events) * WEEK),
            received: end,
            event: `prefect.flow-run.${['Pending', 'Running', 'Completed', 'Failed'][(at + i) % 4]}`,
            resourceId: `prefect.flow-run.${run}`,
            resource: {
              'prefect.resource.id': `prefect.flow-run.${run}`,
              'prefect.resource.name': `run-${(at + i) % RUNS}`,
            },
            related: [{ 'prefect.resource.id': `prefect.tag.t${(at + i) % 10}`, 'prefect.resource.role': 'tag' }],
            payload: { i: at + i },
            follows: null,
          };
        }),
      );
    }
  } finally {
    await store.close();
  }
}

export const migrate: Workload = {
  name: 'migrate',
  title: '`sightline migrate` SQLite → PostgreSQL (copy and verify)',
  size: (args) => ({ n: args.logs, noun: `logs and ${int(args.logs / 5)} events` }),
  async run(ctx: BenchContext): Promise<string> {
    const logs = ctx.args.logs;
    const events = Math.round(logs / 5);
    const dir = tempDir('migrate');
    const file = join(dir, 'sightline.db');
    let t = performance.now();
    await fill(file, logs, events);
    log(`   filled ${int(logs)} logs and ${int(events)} events in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    const cluster = await startPgCluster({ durable: true });
    ctx.onClose(async () => cluster.stop());
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE migrate_target');
    await admin.end();
    const to = cluster.url.replace(/\/[^/]*$/, '/migrate_target');

    t = performance.now();
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'sightline.js'), 'migrate', '--from', `sqlite:${file}`, '--to', to],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    trackChild(child);
    const sampler = new ProcSampler([child.pid!], 100);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      process.stderr.write(d);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const window = sampler.stop();
    const total = (performance.now() - t) / 1000;
    if (code !== 0) throw new Error(`sightline migrate exited ${code}:\n${out}\n${err}`);
    const m = /copied ([\d,]+) records in ([\d.]+) s, checked in ([\d.]+) s/.exec(out);
    if (!m) throw new Error(`unexpected output of sightline migrate:\n${out}`);
    const records = Number(m[1].replaceAll(',', ''));
    const [copySeconds, checkSeconds] = [Number(m[2]), Number(m[3])];
    return table(
      [
        'records copied',
        'copy rate (records/s)',
        'copy time',
        'verification (counts, checksums)',
        'whole run',
        'peak RSS of migrate',
        'verified',
      ],
      [
        [
          int(records),
          int(records / copySeconds),
          `${copySeconds.toFixed(0)} s`,
          `${checkSeconds.toFixed(0)} s`,
          `${total.toFixed(0)} s`,
          mb(window.maxRss),
          /verified: every kind/.test(out) ? 'yes' : 'no',
        ],
      ],
    );
  },
};
