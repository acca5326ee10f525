/**
 * Issue 13's fuzz proof, on both engines: FUZZ_COUNT cases (3,000 by default) from FUZZ_SEED
 * (13 by default, so the normal run is the same every time) against a spawned `sightline serve`
 * (see `run.ts`); `npm run fuzz -- --count 100000` for long runs. A failure prints a ready-to-run
 * reproduction. Also: no route is served that both OpenAPI documents leave out.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachEngine } from '../helpers/engines.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { undocumentedRoutes } from './operations.ts';
import { runFuzz } from './run.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 13);
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);

forEachEngine('fuzz from the API descriptions', (engine) => {
  let s: TestServer;
  before(async () => {
    s = await startServer(engine);
    await s.listen();
  });
  after(() => s.close());

  it('serves no route that both OpenAPI documents leave out', async () => {
    assert.deepEqual(await undocumentedRoutes(s), []);
  });

  it(`${COUNT} cases (seed ${SEED}): no 5xx, bounded errors in each surface's shape, no hang, nothing poisoned, RSS under 400 MB`, {
    timeout: 1_800_000,
  }, async () => {
    const report = await runFuzz({
      engine: engine.name,
      dbUrl: await engine.newDatabaseUrl(),
      seed: SEED,
      count: COUNT,
      progress: (l) => process.stderr.write(`  fuzz [${engine.name}] ${l}\n`),
    });
    assert.equal(report.cases, COUNT);
  });
});
