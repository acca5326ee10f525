/**
 * The PostgreSQL benchmarks on a throwaway cluster: starts PostgreSQL (durable, default settings,
 * 127.0.0.1, a temporary directory), gives each group of workloads a fresh database, runs
 * `npm run bench -- --db …` for each, and removes the cluster. Extra arguments go to every run.
 * Usage: node bench/tools/postgres-run.ts [--logs 1m]
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
];

const cluster = await startPgCluster({ durable: true });
try {
  const base = cluster.url.replace(/\/[^/]*$/, '');
  for (const [i, only] of GROUPS.entries()) {
    const db = `bench_${i}`;
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query(`CREATE DATABASE ${db}`);
    await c.end();
    execFileSync('npm', ['run', 'bench', '--', '--db', `${base}/${db}`, '--only', only, ...process.argv.slice(2)], {
      stdio: 'inherit',
      cwd: REPO_ROOT,
    });
  }
} finally {
  cluster.stop();
}
