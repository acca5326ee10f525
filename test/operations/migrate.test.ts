/**
 * `sightline migrate` from SQLite to PostgreSQL with real CLI children: a store filled through the
 * HTTP API (flows, runs, task runs, states, logs, events, artifacts) and the admin CLI (a key,
 * retention settings) is copied while the first migrate child is SIGKILLed mid-copy; the rerun
 * continues, doubles nothing and verifies, and a server on each database answers alike.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { makeRuns, startServer } from '../crash/run.ts';
import { run, type Served, spawnCli, until } from '../helpers/cli.ts';
import { forEngine, tempDir } from '../helpers/engines.ts';

async function json(url: string, body?: unknown): Promise<any> {
  const r = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.ok(r.status === 200 || r.status === 201, `${url} → ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
}

/** The answers compared between the two servers: every read the API serves over the copied data. */
async function answers(api: string, runs: string[]): Promise<{ compared: unknown; nextPage: string }> {
  const logs = [];
  for (let offset = 0; ; offset += 200) {
    const page = await json(`${api}/logs/filter`, { logs: { flow_run_id: { any_: runs } }, limit: 200, offset });
    logs.push(...page);
    if (page.length < 200) break;
  }
  const perRun = [];
  for (const id of runs) {
    perRun.push({
      tail: await json(`${api}/v1/agent/tail-logs`, { flow_run_id: id, lines: 5 }),
      loggers: await json(`${api}/traces/${id}/observed-loggers`),
      run: await json(`${api}/flow_runs/${id}`),
      states: await json(`${api}/flow_run_states/?flow_run_id=${id}`),
    });
  }
  const [{ account_id: a, workspace_id: w }] = await json(`${api}/me/workspaces`);
  const events = `${api}/accounts/${a}/workspaces/${w}/events`;
  const since = { occurred: { since: '2026-11-30T00:00:00Z', until: '2027-01-30T00:00:00Z' } };
  const eventPages = [];
  const page = await json(`${events}/filter`, { filter: since, limit: 50 });
  eventPages.push(page.events);
  // The next page's token, signed with the token secret, is followed on each server.
  assert.ok(page.next_page, 'more than one page of events');
  eventPages.push((await json(page.next_page)).events);
  const all = {
    logs,
    text: await json(`${api}/logs/filter`, { logs: { text: { query: 'crash' } }, limit: 20 }),
    perRun,
    flowRuns: await json(`${api}/flow_runs/filter`, { limit: 200 }),
    taskRuns: await json(`${api}/task_runs/filter`, { limit: 200 }),
    artifacts: await json(`${api}/artifacts/filter`, { limit: 200 }),
    eventPages,
    countBy: await json(`${events}/count-by/event`, { filter: since }),
  };
  // What grows with the clock: a running run's estimates, a cursor's expiry.
  const clocked = (k: string) => k.startsWith('estimated_') || k.endsWith('_cursor') || k === 'next_page';
  return {
    compared: JSON.parse(JSON.stringify(all, (k, v) => (clocked(k) ? undefined : v))),
    nextPage: page.next_page,
  };
}

forEngine('postgres', 'sightline migrate from SQLite', (engine) => {
  it('copies everything, survives a SIGKILL mid-copy, verifies, and both servers answer alike', {
    timeout: 300_000,
  }, async () => {
    const dir = tempDir('sightline-migrate-');
    const data = join(dir, 'sqlite');
    let server = await startServer(['--data-dir', data]);
    let runs: string[];
    try {
      const api = server.lines.api;
      runs = await makeRuns(api, 3);
      for (const [i, id] of runs.entries()) {
        await json(`${api}/flow_runs/${id}/set_state`, { state: { type: 'RUNNING', name: 'Running' } });
        await json(`${api}/task_runs/`, { flow_run_id: id, task_key: 't', dynamic_key: `${i}`, name: `task-${i}` });
      }
      const t0 = Date.parse('2026-12-01T00:00:00Z');
      for (let b = 0; b < 6; b++) {
        const logs = Array.from({ length: 500 }, (_, i) => ({
          name: `app.part${i % 4}`,
          level: [10, 20, 30, 40][i % 4],
          message: `crash log ${b}-${i}`,
          timestamp: new Date(t0 + (b * 500 + i) * 1000).toISOString(),
          flow_run_id: runs[i % 3],
          task_run_id: null,
        }));
        await fetch(`${api}/logs/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(logs),
        });
      }
      const events = Array.from({ length: 300 }, (_, i) => ({
        id: crypto.randomUUID(),
        occurred: new Date(t0 + i * 60_000).toISOString(),
        event: `mig.event.${i % 3}`,
        resource: { 'prefect.resource.id': `prefect.flow-run.${runs[i % 3]}` },
        related: [{ 'prefect.resource.id': 'prefect.tag.mig', 'prefect.resource.role': 'tag' }],
        payload: { i },
      }));
      const posted = await fetch(`${api}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      assert.ok(posted.status < 300, `POST /events → ${posted.status}`);
      await json(`${api}/artifacts/`, { key: 'report', type: 'markdown', data: '# hi', flow_run_id: runs[0] });
    } finally {
      await stop(server);
    }
    const key = await run(['keys', 'create', '--data-dir', data, '--account', 'default', '--scope', 'read']);
    assert.equal(key.code, 0, key.stderr);
    const ret = await run(['workspaces', 'set-retention', 'default', '--data-dir', data, '--logs', '30d']);
    assert.equal(ret.code, 0, ret.stderr);

    const to = await engine.newDatabaseUrl();
    const args = ['migrate', '--from', `sqlite:${data}`, '--to', to, '--batch', '100'];
    // Killed at its first progress line (printed after the first batch, of accounts), in small
    // batches, so the kill lands before the copy ends or, on a slow machine, after.
    const first = spawnCli([...args.slice(0, -1), '10']);
    await until(() => /migrate: \w+: /.test(first.stderr()), 'a progress line').catch((err) => {
      throw new Error(`${err.message}\n${first.stdout()}\n${first.stderr()}`);
    });
    first.child.kill('SIGKILL');
    await first.exit;
    assert.doesNotMatch(first.stdout(), /verified/);

    const second = await run(args);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    assert.match(second.stdout, /^continued [\d,]+ records/);
    assert.match(second.stdout, /verified: every kind has the same count and checksum/);
    assert.match(second.stderr, /items\/s, ETA \d+:\d\d:\d\d/);
    for (const kind of [
      'logs',
      'events',
      'flow_runs',
      'task_runs',
      'artifacts',
      'api_keys',
      'workspace_retention',
      'meta',
    ])
      assert.match(second.stdout, new RegExp(`\\n  ${kind} +[1-9][\\d,]* +[1-9][\\d,]* .* ok\\n`), kind);

    // Another source is refused; a third run of the same one finds nothing left to copy.
    const again = await run(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^continued 0 records/);
    const other = await run(['migrate', '--from', `sqlite:${join(dir, 'other')}`, '--to', to]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /holds a migration from another store/);

    server = await startServer(['--data-dir', data]);
    let expected: Awaited<ReturnType<typeof answers>>;
    try {
      expected = await answers(server.lines.api, runs!);
    } finally {
      await stop(server);
    }
    server = await startServer(['--db', to]);
    try {
      const api = server.lines.api;
      assert.deepEqual((await answers(api, runs!)).compared, expected!.compared);
      // A page token the SQLite server signed is accepted by the PostgreSQL one: the secret came along.
      const token = new URL(expected!.nextPage);
      const followed = await json(`${new URL(api).origin}${token.pathname}${token.search}`);
      assert.deepEqual(followed.events, (expected!.compared as { eventPages: unknown[] }).eventPages[1]);
    } finally {
      await stop(server);
    }

    // A copy that differs from its source (a row lost behind the copied position) fails the check.
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: to });
    await c.connect();
    await c.query('DELETE FROM logs WHERE seq = (SELECT min(seq) FROM logs)');
    await c.end();
    const lost = await run(args);
    assert.equal(lost.code, 1, lost.stderr);
    assert.match(lost.stdout, /\n {2}logs +3,000 +2,999 .* DIFFERENT\n/);
    assert.match(lost.stderr, /the copy differs from the source/);
  });
});
