/**
 * `npm run crash -- [--rounds N] [--seed S] [--engine sqlite|postgres|both] [--outage]`: the crash
 * test's SIGKILL rounds (and with `--outage`, the PostgreSQL stop) for longer runs; hold the machine
 * lock for long ones (`flock /tmp/sightline-heavy.lock npm run crash -- --rounds 100`). Without
 * `--seed` a random seed is drawn and printed.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canRunCluster, type PgCluster, startPgCluster } from './pg-cluster.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string' },
    engine: { type: 'string', default: 'both' },
    outage: { type: 'boolean', default: false },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const rounds = Number(values.rounds);
const wanted = values.engine === 'both' ? ['sqlite', 'postgres'] : [values.engine!];

let shared: PgCluster | undefined;
if (wanted.includes('postgres') && !process.env.SIGHTLINE_TEST_PG_URL && canRunCluster()) {
  shared = await startPgCluster({ durable: true });
  process.env.SIGHTLINE_TEST_PG_URL = shared.url;
}
// The test helpers read the URL when imported, so they are imported once the cluster is up.
const { engines, tempDir } = await import('../test/helpers/engines.ts');
const { databaseOutage, runCrash } = await import('../test/crash/run.ts');
let code = 0;
try {
  for (const name of wanted) {
    const engine = engines.find((e) => e.name === name);
    if (!engine || engine.unavailable) {
      console.error(`${name}: ${engine?.unavailable ?? 'unknown engine'}`);
      code = 1;
      continue;
    }
    console.log(`crash ${name}: seed ${seed}, ${rounds} rounds`);
    const dir = tempDir('sightline-crash-');
    const data = [
      '--data-dir',
      dir,
      '--db',
      name === 'sqlite' ? `sqlite:${join(dir, 'sightline.db')}` : await engine.newDatabaseUrl(),
    ];
    try {
      await runCrash({ data, seed, rounds, progress: (l) => console.log(`  ${l}`) });
      console.log(`crash ${name}: PASS`);
    } catch (err) {
      code = 1;
      console.error(err instanceof Error ? err.message : err);
    }
  }
  if (values.outage) {
    const own = await startPgCluster({ durable: true });
    try {
      const r = await databaseOutage({
        data: ['--data-dir', tempDir('sightline-outage-'), '--db', own.url],
        seed,
        crashDb: own.crash,
        restartDb: own.restart,
      });
      console.log(`outage: PASS ${JSON.stringify(r)}`);
    } catch (err) {
      code = 1;
      console.error(err instanceof Error ? err.message : err);
    } finally {
      own.stop();
    }
  }
} finally {
  shared?.stop();
}
process.exit(code);
