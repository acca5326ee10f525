/**
 * The PostgreSQL benchmarks on a throwaway cluster: starts PostgreSQL (durable, default settings,
 * 127.0.0.1, a temporary directory), gives each group of workloads a fresh database, runs
 * `npm run bench -- --db …` for each, and removes the cluster. Extra arguments go to every run, except
 * `--only NAME[,NAME]`, which keeps the groups holding those workloads (and only those workloads in them).
 * Usage: node bench/tools/postgres-run.ts [--logs 1m] [--only traces-recorder]
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { startPgCluster } from '../../scripts/pg-cluster.ts';
import { REPO_ROOT } from '../lib/server.ts';

/** Workloads that need an empty database of their own, in run order. */
const GROUPS = [
  'logs-ingest,logs-filter,logs-text,logs-ingest-instances',
  'events-ingest',
  'events-queries',
  'traces-recorder,traces-page',
  'retention',
];

const args = process.argv.slice(2);
const at = args.indexOf('--only');
const wanted = at >= 0 ? new Set(args.splice(at, 2)[1]?.split(',')) : undefined;
const runs = GROUPS.map((g) =>
  g
    .split(',')
    .filter((w) => !wanted || wanted.has(w))
    .join(','),
);

const cluster = await startPgCluster({ durable: true });
try {
  const base = cluster.url.replace(/\/[^/]*$/, '');
  for (const [i, only] of runs.entries()) {
    if (!only) continue;
    const db = `bench_${i}`;
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query(`CREATE DATABASE ${db}`);
    await c.end();
    execFileSync('npm', ['run', 'bench', '--', '--db', `${base}/${db}`, '--only', only, ...args], {
      stdio: 'inherit',
      cwd: REPO_ROOT,
    });
  }
} finally {
  cluster.stop();
}
