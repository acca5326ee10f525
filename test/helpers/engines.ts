/**
 * The engines every behaviour test runs against. SQLite always; PostgreSQL when the test runner
 * provides a server (`SIGHTLINE_TEST_PG_URL`, an admin connection URL — `npm test` starts a
 * throwaway cluster when PostgreSQL is installed). Without one, PostgreSQL suites report
 * themselves as skipped; under `CI=true` a missing PostgreSQL fails the run instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

export interface Engine {
  name: 'sqlite' | 'postgres';
  /** Why the engine cannot run here, if it cannot. */
  unavailable?: string;
  /** A fresh, empty database for one test suite (dropped when the process ends). */
  newDatabaseUrl(): Promise<string>;
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'sightline-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

const sqlite: Engine = {
  name: 'sqlite',
  async newDatabaseUrl() {
    return `sqlite:${join(tempDir(), 'sightline.db')}`;
  },
};

let pgCounter = 0;
const pgAdminUrl = process.env.SIGHTLINE_TEST_PG_URL;
const pgDatabases: string[] = [];

// Test databases go when the test file's process has nothing left to do (the throwaway cluster of
// `npm test` is deleted anyway; this keeps a server given through SIGHTLINE_TEST_PG_URL clean).
process.once('beforeExit', async () => {
  if (!pgDatabases.length) return;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  try {
    await admin.connect();
    for (const name of pgDatabases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch {
    // Best effort: a server that went away has nothing left to clean.
  } finally {
    await admin.end().catch(() => {});
  }
});

const postgres: Engine = {
  name: 'postgres',
  unavailable: pgAdminUrl ? undefined : 'PostgreSQL is not available (SIGHTLINE_TEST_PG_URL is not set)',
  async newDatabaseUrl() {
    const { default: pg } = await import('pg');
    const name = `sl_test_${process.pid}_${++pgCounter}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      pgDatabases.push(name);
    } finally {
      await admin.end();
    }
    const url = new URL(pgAdminUrl!);
    url.pathname = `/${name}`;
    return url.toString();
  },
};

export const engines: Engine[] = [sqlite, postgres];

/**
 * Declares `fn`'s suite once per engine. An unavailable engine is skipped (and named), or fails
 * under CI, where every engine must run.
 */
export function forEachEngine(title: string, fn: (engine: Engine) => void): void {
  for (const engine of engines) forEngine(engine.name, title, fn);
}

/** Declares a suite for one engine only (engine-specific behaviour), skipped or failed like above. */
export function forEngine(engineName: Engine['name'], title: string, fn: (engine: Engine) => void): void {
  const engine = engines.find((e) => e.name === engineName)!;
  const name = `${title} [${engine.name}]`;
  if (engine.unavailable) {
    if (process.env.CI === 'true') {
      it(name, () => {
        throw new Error(`${engine.unavailable}; CI requires every engine`);
      });
    } else {
      // A skipped test (not an empty suite), so the runner counts and names it as skipped.
      it(name, { skip: engine.unavailable }, () => {});
    }
    return;
  }
  describe(name, () => fn(engine));
}
