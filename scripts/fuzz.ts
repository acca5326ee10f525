/**
 * `npm run fuzz -- [--count N] [--seed S] [--case I] [--engine sqlite|postgres|both]`: the fuzz
 * test's run, for long runs and reproductions (hold the machine lock for long ones:
 * `flock /tmp/sightline-heavy.lock npm run fuzz -- --count 100000`). Without `--seed` a random seed
 * is drawn and printed. PostgreSQL runs on `SIGHTLINE_TEST_PG_URL`, else a throwaway cluster.
 */
import { parseArgs } from 'node:util';
import { canRunCluster, type PgCluster, startPgCluster } from './pg-cluster.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    seed: { type: 'string' },
    case: { type: 'string' },
    engine: { type: 'string', default: 'both' },
    verbose: { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
  },
});
const seed =
  values.seed !== undefined
    ? Number(values.seed)
    : Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const count = Number(values.count ?? process.env.FUZZ_COUNT ?? 3000);
const only = values.case !== undefined ? Number(values.case) : undefined;
const wanted = values.engine === 'both' ? ['sqlite', 'postgres'] : [values.engine!];

let cluster: PgCluster | undefined;
if (wanted.includes('postgres') && !process.env.SIGHTLINE_TEST_PG_URL && canRunCluster()) {
  cluster = await startPgCluster();
  process.env.SIGHTLINE_TEST_PG_URL = cluster.url;
}
// The test helpers read the URL when imported, so they are imported once the cluster is up.
const { engines: all } = await import('../test/helpers/engines.ts');
const { FuzzFailure, runFuzz } = await import('../test/fuzz/run.ts');
let code = 0;
try {
  for (const name of wanted) {
    const engine = all.find((e) => e.name === name);
    if (!engine || engine.unavailable) {
      console.error(`${name}: ${engine?.unavailable ?? 'unknown engine'}`);
      code = 1;
      continue;
    }
    console.log(`fuzz ${name}: seed ${seed}, ${only !== undefined ? `case ${only}` : `${count} cases`}`);
    try {
      const r = await runFuzz({
        engine: name,
        dbUrl: await engine.newDatabaseUrl(),
        seed,
        count,
        only,
        progress: (l) => console.log(`  ${l}`),
        trace: values.verbose ? (l) => console.log(`    ${l}`) : undefined,
        keepGoing: values['keep-going'],
      });
      for (const f of r.failures) console.error(`\n${f}`);
      if (r.failures.length) code = 1;
      console.log(
        `fuzz ${name}: ${r.failures.length ? `FAIL (${r.failures.length})` : 'PASS'} — ${r.cases} cases over ${r.operations} operations in ${r.seconds.toFixed(0)} s, max RSS ${r.maxRssMb.toFixed(0)} MB`,
      );
      console.log(`  answers: ${JSON.stringify(r.byStatus)}; surfaces: ${JSON.stringify(r.bySurface)}`);
    } catch (err) {
      code = 1;
      console.error(err instanceof FuzzFailure ? err.message : err);
    }
  }
} finally {
  cluster?.stop();
}
process.exit(code);
