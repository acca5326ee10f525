/**
 * Scale-out: log ingest through one instance, then through two instances on the same PostgreSQL
 * database (each with its own clients), on a database of its own (`<db>_instances`, created and
 * dropped by the workload, so the shared dataset's counts stay right). Reports each instance's
 * rate and CPU, the database server's CPU and its share of all the CPU the machine used.
 */
import pg from 'pg';
import { nowMicros } from '../../src/domain/time.ts';
import { openStore } from '../../src/store/open.ts';
import { type BenchContext, log, type Workload } from '../lib/context.ts';
import { DbCpuSampler, postmasterPid } from '../lib/db-cpu.ts';
import { HttpClient, runClients } from '../lib/http.ts';
import { ProcSampler } from '../lib/proc.ts';
import { table } from '../lib/results.ts';
import type { ServerHandle } from '../lib/server.ts';
import { int } from '../lib/stats.ts';
import { LogDataset } from './logs-data.ts';

const CLIENTS_PER_INSTANCE = 4;
const BATCH = 1000;

/** A fresh database next to the run's, dropped when the run ends. */
async function siblingDatabase(ctx: BenchContext, suffix: string): Promise<string> {
  const url = new URL(ctx.args.db!);
  const name = `${url.pathname.slice(1) || 'postgres'}_${suffix}`.replace(/[^a-zA-Z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: ctx.args.db });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  ctx.onClose(async () => {
    const c = new pg.Client({ connectionString: ctx.args.db });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
  });
  url.pathname = `/${name}`;
  return url.toString();
}

interface PhaseResult {
  label: string;
  /** WAL written per log (rows, indexes, text index), bytes. */
  walPerLog: number;
  /** Database CPU per log from the first request until the text index had caught up, µs. */
  dbMicrosPerLog?: number;
  logs: number;
  seconds: number;
  perInstance: { logs: number; cpu?: number }[];
  dbCores?: number;
  machineCores?: number;
  catchUp: number;
}

async function phase(
  label: string,
  servers: ServerHandle[],
  dataset: LogDataset,
  count: number,
  probeUrl: string,
  postmaster: number | undefined,
): Promise<PhaseResult> {
  const bodies: { n: number; body: string }[] = [];
  for (let left = count; left > 0; left -= BATCH)
    bodies.push({ n: Math.min(BATCH, left), body: dataset.nextBody(Math.min(BATCH, left)) });
  let next = 0;
  const sent = servers.map(() => 0);
  const clients = servers.map((s) => new HttpClient(s.apiUrl, { connections: CLIENTS_PER_INSTANCE }));
  const procs = servers.map((s) => new ProcSampler([s.pid]));
  const wal0 = await walLsn(probeUrl);
  const db = new DbCpuSampler(postmaster);
  const whole = new DbCpuSampler(postmaster);
  const t0 = performance.now();
  try {
    await runClients(servers.length * CLIENTS_PER_INSTANCE, (c) => {
      if (next >= bodies.length) return undefined;
      const job = bodies[next++];
      const i = c % servers.length;
      return clients[i].ok('POST', 'logs/', job.body).then(() => {
        sent[i] += job.n;
      });
    });
  } finally {
    for (const h of clients) h.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = db.stop();
  const proc = procs.map((p) => p.stop());
  // The text index is part of the work: wait for it (either instance's indexer may do it).
  const probe = await openStore({ url: probeUrl, pool: 1 });
  const c0 = performance.now();
  try {
    while ((await probe.logs.textIndexLag()) > 0) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await probe.close();
  }
  const logs = sent.reduce((a, b) => a + b, 0);
  const all = whole.stop();
  const wholeSeconds = (performance.now() - t0) / 1000;
  return {
    dbMicrosPerLog: all.dbCores === undefined ? undefined : (all.dbCores * wholeSeconds * 1e6) / logs,
    label,
    walPerLog: (await walSince(probeUrl, wal0)) / logs,
    logs,
    seconds,
    perInstance: sent.map((n, i) => ({ logs: n, cpu: proc[i].cpuCores })),
    dbCores: cpu.dbCores,
    machineCores: cpu.machineCores,
    catchUp: (performance.now() - c0) / 1000,
  };
}

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows[0] as T;
  } finally {
    await c.end();
  }
}

const walLsn = async (url: string) => (await sql<{ lsn: string }>(url, 'SELECT pg_current_wal_lsn()::text AS lsn')).lsn;
const walSince = async (url: string, lsn: string) =>
  Number((await sql<{ n: string }>(url, 'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS n', [lsn])).n);

/** Bytes on disk per stored log: logs and text-index partitions with their indexes and TOAST. */
async function bytesPerLog(url: string): Promise<number> {
  const r = await sql<{ bytes: string; logs: string }>(
    url,
    `SELECT (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
              JOIN pg_inherits i ON i.inhrelid = c.oid
             WHERE i.inhparent IN ('logs'::regclass, 'logs_text'::regclass)) AS bytes,
            (SELECT count(*) FROM logs) AS logs`,
  );
  return Number(r.bytes) / Number(r.logs);
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

const cores = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));

export const logsIngestInstances: Workload = {
  name: 'logs-ingest-instances',
  title: 'Log ingest through two instances on one PostgreSQL database',
  async run(ctx: BenchContext) {
    if (ctx.engine !== 'postgres') return 'PostgreSQL only (instances share a database): run with `--db postgres://…`.';
    const db = await siblingDatabase(ctx, 'instances');
    const postmaster = await postmasterPid(db);
    const perPhase = Math.max(10_000, Math.min(200_000, Math.floor(ctx.args.logs / 5)));
    const dataset = new LogDataset({ total: perPhase * 3, end: nowMicros(), spanMicros: 86_400_000_000, seed: 7 });
    // Two servers on one machine: their gateway and MCP listeners take any free port (through the
    // environment, which the server processes inherit; flags would win over it).
    const saved = { rest: process.env.SIGHTLINE_REST_PORT, mcp: process.env.SIGHTLINE_MCP_PORT };
    process.env.SIGHTLINE_REST_PORT = '0';
    process.env.SIGHTLINE_MCP_PORT = '0';
    let a: ServerHandle;
    let b: ServerHandle;
    try {
      a = await ctx.server({ db });
      b = await ctx.server({ db });
    } finally {
      restoreEnv('SIGHTLINE_REST_PORT', saved.rest);
      restoreEnv('SIGHTLINE_MCP_PORT', saved.mcp);
    }
    const rows: PhaseResult[] = [];
    // Warm-up: partitions, caches, connections.
    await phase('warm-up', [a], dataset, Math.min(perPhase, 20_000), db, postmaster);
    for (const [label, servers] of [
      ['one instance', [a]],
      ['two instances', [a, b]],
    ] as const) {
      log(`instances: ${label}, ${CLIENTS_PER_INSTANCE} clients each, batches of ${BATCH}, ${int(perPhase)} logs`);
      const r = await phase(label, [...servers], dataset, perPhase, db, postmaster);
      log(`  ${int(r.logs / r.seconds)} logs/s; database ${cores(r.dbCores)} cores of ${cores(r.machineCores)} busy`);
      rows.push(r);
    }
    const [one, two] = rows;
    const stored = await bytesPerLog(db);
    return [
      `Each phase sends ${int(perPhase)} logs in batches of ${BATCH} from ${CLIENTS_PER_INSTANCE} clients per instance, into a`,
      'database of its own (after a warm-up load). Everything runs on this one machine: the instances, the',
      'database and the load generator compete for the same cores. "CPU" is cores used (1.00 = one core',
      "busy); the database share is the database server's CPU over all CPU the machine used meanwhile.",
      'Database CPU and WAL per log count everything from the first request until the text index had caught up.',
      '',
      table(
        [
          'phase',
          'logs',
          'acked logs/s (total)',
          'per instance logs/s',
          'instance CPU',
          'database CPU',
          'machine CPU',
          'database share',
          'index catch-up s',
          'database CPU per log',
          'WAL per log',
        ],
        rows.map((r) => [
          r.label,
          int(r.logs),
          `**${int(r.logs / r.seconds)}**`,
          r.perInstance.map((p) => int(p.logs / r.seconds)).join(' + '),
          r.perInstance.map((p) => cores(p.cpu)).join(' + '),
          cores(r.dbCores),
          cores(r.machineCores),
          r.dbCores !== undefined && r.machineCores ? `${Math.round((100 * r.dbCores) / r.machineCores)} %` : 'n/a',
          r.catchUp.toFixed(1),
          r.dbMicrosPerLog === undefined ? 'n/a' : `${r.dbMicrosPerLog.toFixed(0)} µs`,
          `${int(r.walPerLog)} B`,
        ]),
      ),
      '',
      `Two instances vs one: ${(two.logs / two.seconds / (one.logs / one.seconds)).toFixed(2)}× the acknowledged rate. ` +
        `Stored: ${int(stored)} bytes per log (rows, their indexes and the text index).`,
    ].join('\n');
  },
};
