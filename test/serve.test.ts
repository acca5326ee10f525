/** `sightline serve` as a process: start-up lines, configuration, shutdown and durability. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { run, serve } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const LOG = [{ name: 'durable', level: 20, message: 'acknowledged', timestamp: '2024-01-01T00:00:00Z' }];

async function post(api: string, path: string, body: unknown): Promise<Response> {
  return fetch(api + path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

describe('sightline serve', () => {
  it('prints where everything is, one item per line, and exits 0 on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const dir = tempDir();
      const s = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
      assert.match(s.lines.api, /^http:\/\/127\.0\.0\.1:\d+\/api$/);
      assert.equal(s.lines.data, dir);
      assert.match(s.lines.account, /^[0-9a-f-]{36}$/);
      assert.match(s.lines.workspace, /^[0-9a-f-]{36}$/);
      assert.equal(s.lines.cloud, `${s.lines.api}/accounts/${s.lines.account}/workspaces/${s.lines.workspace}`);
      assert.equal((await fetch(`${s.lines.api}/health`)).status, 200);
      assert.equal(s.lines.metrics, s.lines.api.replace(/\/api$/, '/metrics'));
      assert.match(await (await fetch(s.lines.metrics)).text(), /^# HELP /m);
      const started = performance.now();
      s.child.kill(signal);
      assert.equal(await s.exited, 0);
      assert.ok(performance.now() - started < 5000);
    }
  });

  it('keeps the default account and workspace in the database', async () => {
    const dir = tempDir();
    const a = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
    a.child.kill('SIGTERM');
    await a.exited;
    const b = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
    b.child.kill('SIGTERM');
    await b.exited;
    assert.equal(a.lines.account, b.lines.account);
    assert.equal(a.lines.workspace, b.lines.workspace);
  });

  it('loses no acknowledged write when killed with SIGKILL', async () => {
    const dir = tempDir();
    const a = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
    assert.equal((await post(a.lines.api, '/logs/', LOG)).status, 201);
    a.child.kill('SIGKILL');
    await a.exited;
    const b = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent', '--sync', 'full']);
    const logs = (await (await post(b.lines.api, '/logs/filter', {})).json()) as { message: string }[];
    b.child.kill('SIGTERM');
    await b.exited;
    assert.deepEqual(
      logs.map((l: { message: string }) => l.message),
      ['acknowledged'],
    );
  });

  it('takes options from SIGHTLINE_* variables, with flags winning', async () => {
    const dir = tempDir();
    const s = await serve(['--port', '0'], {
      SIGHTLINE_DATA_DIR: dir,
      SIGHTLINE_PORT: '1',
      SIGHTLINE_LOG_LEVEL: 'silent',
      SIGHTLINE_PREFECT_VERSION: '3.7.0',
    });
    assert.equal(s.lines.data, dir);
    assert.equal(await (await fetch(`${s.lines.api}/admin/version`)).json(), '3.7.0');
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  });

  it('refuses a database written by a newer Sightline, and bad options, with a clear message', async () => {
    const dir = tempDir();
    const s = await serve(['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
    s.child.kill('SIGTERM');
    await s.exited;
    const db = new DatabaseSync(join(dir, 'sightline.db'));
    db.exec("UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    db.close();
    const refused = await run(['serve', '--port', '0', '--data-dir', dir]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /schema is version 999/);
    const bad = await run(['serve', '--port', 'eighty']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--port must be an integer/);
    const unknown = await run(['serve', '--colour']);
    assert.match(unknown.stderr, /unknown option --colour/);
  });
});
