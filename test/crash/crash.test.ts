/**
 * Issue 13's crash proof, on both engines: three SIGKILL rounds during ingest through every
 * acknowledged path (CRASH_SEED, CRASH_ROUNDS; `npm run crash` for more), and on PostgreSQL a
 * database stopped as a crash would stop it, mid-ingest (a cluster of the test's own).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { canRunCluster, startPgCluster } from '../../scripts/pg-cluster.ts';
import { forEachEngine, forEngine, tempDir } from '../helpers/engines.ts';
import { databaseOutage, runCrash } from './run.ts';

const SEED = Number(process.env.CRASH_SEED ?? 13);
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 3);

forEachEngine('acknowledged writes survive SIGKILL', (engine) => {
  it(`${ROUNDS} rounds (seed ${SEED}): every acknowledged item once, derived task runs and spans, text search`, {
    timeout: 900_000,
  }, async () => {
    const dir = tempDir('sightline-crash-');
    const data = [
      '--data-dir',
      dir,
      '--db',
      engine.name === 'sqlite' ? `sqlite:${join(dir, 'sightline.db')}` : await engine.newDatabaseUrl(),
    ];
    const rounds = await runCrash({
      data,
      seed: SEED,
      rounds: ROUNDS,
      progress: (l) => process.stderr.write(`  crash [${engine.name}] ${l}\n`),
    });
    assert.equal(rounds.length, ROUNDS);
  });
});

forEngine('postgres', 'a database stopped mid-ingest', () => {
  it('answers writes 503 while it is away, never 500, and carries on by itself once it is back', {
    timeout: 600_000,
  }, async (t) => {
    if (!canRunCluster()) return t.skip('no PostgreSQL server binaries to run a cluster of the test’s own');
    const cluster = await startPgCluster({ durable: true });
    try {
      const report = await databaseOutage({
        data: ['--data-dir', tempDir('sightline-outage-'), '--db', cluster.url],
        seed: SEED,
        crashDb: cluster.crash,
        restartDb: cluster.restart,
      });
      process.stderr.write(`  outage: ${JSON.stringify(report)}\n`);
      assert.ok(report.statuses[503] > 0);
    } finally {
      cluster.stop();
    }
  });
});
