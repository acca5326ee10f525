/**
 * `npm test`: every test of the project, on every engine this machine can run. Test files are
 * `src/**\/*.test.ts` (next to the code) and `test/**\/*.test.ts` (cross-surface suites).
 * Extra arguments are passed to `node --test` (e.g. `npm test -- --test-name-pattern=logs`), but
 * `--update-screenshots`, which rewrites the web UI's screenshot baselines.
 *
 * The web UI is built first (`scripts/build-ui.ts`, a second or two): its tests load the build.
 *
 * PostgreSQL: when `SIGHTLINE_TEST_PG_URL` is not set and a server is installed
 * (`/usr/lib/postgresql/<version>/bin`), a throwaway cluster is started for the run (127.0.0.1, a
 * free port, a temporary directory) and always stopped and deleted afterwards. Without one, the
 * PostgreSQL suites report themselves as skipped (under `CI=true` they fail instead).
 */
import { spawn, spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { canRunCluster, type PgCluster, startPgCluster } from './pg-cluster.ts';

const files = [...globSync('src/**/*.test.ts'), ...globSync('test/**/*.test.ts')].sort();
// `--update-screenshots` is ours (test/ui/screenshots.test.ts), not the test runner's.
const extra = process.argv.slice(2).filter((a) => a !== '--update-screenshots');
if (extra.length < process.argv.length - 2) process.env.SIGHTLINE_UPDATE_SCREENSHOTS = '1';
const picked = extra.filter((a) => a.endsWith('.test.ts'));
const flags = extra.filter((a) => !a.endsWith('.test.ts'));

const built = spawnSync(process.execPath, ['scripts/build-ui.ts'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const env = { ...process.env };
let cluster: PgCluster | undefined;
if (!env.SIGHTLINE_TEST_PG_URL && canRunCluster()) {
  try {
    cluster = await startPgCluster();
    env.SIGHTLINE_TEST_PG_URL = cluster.url;
    process.stderr.write(`PostgreSQL test cluster on ${cluster.url}\n`);
  } catch (err) {
    process.stderr.write(`could not start a PostgreSQL test cluster: ${err}\n`);
  }
}

const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', ...flags, ...(picked.length ? picked : files)],
  {
    stdio: 'inherit',
    env,
  },
);
// Interrupts reach the test runner (same process group); the cluster goes once it has stopped.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
cluster?.stop();
process.exit(code);
