/**
 * `npm test`: every test of the project, on every engine this machine can run. Test files are
 * `src/**\/*.test.ts` (next to the code) and `test/**\/*.test.ts` (cross-surface suites).
 * Extra arguments are passed to `node --test` (e.g. `npm test -- --test-name-pattern=logs`).
 */
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const files = [...globSync('src/**/*.test.ts'), ...globSync('test/**/*.test.ts')].sort();
const extra = process.argv.slice(2);
const picked = extra.filter((a) => a.endsWith('.test.ts'));
const flags = extra.filter((a) => !a.endsWith('.test.ts'));

const env = { ...process.env };
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...flags, ...(picked.length ? picked : files)], {
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
