/**
 * `sightline backup` while ingest goes on through every acknowledged path, then `sightline restore`
 * into another data directory: every item acknowledged before the backup began is in the restored
 * store exactly once (later ones at most once), task runs and spans and text search included, and
 * the derived answers (per-run log counts, observed loggers, event counts) equal a recomputation
 * from the restored rows.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { type Ledger, newLedger, startClients } from '../crash/clients.ts';
import { makeRuns, startServer, untilAcked, verify } from '../crash/run.ts';
import { run, type Served } from '../helpers/cli.ts';
import { forEngine, tempDir } from '../helpers/engines.ts';

async function json(url: string, body?: unknown): Promise<any> {
  const r = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${url} → ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The ledger as of a moment: what was acknowledged then stays `acked`, everything else `sent`. */
function asOf(l: Ledger): Ledger {
  const freeze = (m: Map<string, 'sent' | 'acked'>) => new Map(m);
  return { ...l, logs: freeze(l.logs), events: freeze(l.events), taskRuns: freeze(l.taskRuns) };
}
function laterAsSent(frozen: Ledger, final: Ledger): Ledger {
  const merge = (then: Map<string, 'sent' | 'acked'>, now: Map<string, 'sent' | 'acked'>) =>
    new Map([...now.keys()].map((k) => [k, then.get(k) === 'acked' ? ('acked' as const) : ('sent' as const)]));
  return {
    ...final,
    logs: merge(frozen.logs, final.logs),
    events: merge(frozen.events, final.events),
    taskRuns: merge(frozen.taskRuns, final.taskRuns),
  };
}

async function stop(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
}

forEngine('sqlite', 'backup and restore', () => {
  it('a backup taken mid-ingest restores every acknowledged item and true derived answers', {
    timeout: 600_000,
  }, async () => {
    const dir = tempDir('sightline-backup-');
    const backupFile = join(dir, 'backup', 'sightline-backup.db');
    let server = await startServer(['--data-dir', join(dir, 'live')]);
    let ledger: Ledger | undefined;
    let runs: string[] = [];
    const token = 'backuptok';
    let frozen: Ledger | undefined;
    try {
      const api = server.lines.api;
      runs = await makeRuns(api, 3);
      const l = newLedger();
      ledger = l;
      // A long reader (an analyst's query, another tool) keeps checkpoints from moving rows out of
      // the WAL: the backup must copy what is only there, as a file copy would not.
      const reader = new DatabaseSync(join(dir, 'live', 'sightline.db'), { readOnly: true });
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM logs').get();
      const clients = startClients({ api, token, prefix: 'bk', runs, ledger: l }, { logs: 3, events: 2, sockets: 2 });
      try {
        await untilAcked(l);
        frozen = asOf(l);
        const b = await run(['backup', '--data-dir', join(dir, 'live'), '--to', backupFile]);
        assert.equal(b.code, 0, b.stderr);
        assert.match(b.stdout, /^backed up to .*sightline-backup\.db \(.* MB\), .*sightline-backup\.db-text/);
        // Ingest went on during the backup: more was acknowledged after it began.
        await untilAcked(l);
      } finally {
        reader.exec('COMMIT');
        reader.close();
        await clients.stop();
      }
    } finally {
      await stop(server);
    }
    assert.ok(existsSync(backupFile) && existsSync(`${backupFile}-text`));
    assert.ok(!existsSync(`${backupFile}-wal`), 'the backup is one file (and its text index)');

    const restored = join(dir, 'restored');
    const r = await run(['restore', '--from', backupFile, '--data-dir', restored]);
    assert.equal(r.code, 0, r.stderr);
    const again = await run(['restore', '--from', backupFile, '--data-dir', restored]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds a database: stop its server and add --force/);

    server = await startServer(['--data-dir', restored]);
    try {
      const api = server.lines.api;
      const history = [{ ledger: laterAsSent(frozen!, ledger!), runs, token }];
      await verify(api, history);

      // Derived answers equal a recomputation from the restored rows.
      const logs: { name: string; flow_run_id: string }[] = [];
      for (let offset = 0; ; offset += 200) {
        const page = await json(`${api}/logs/filter`, { logs: { flow_run_id: { any_: runs } }, limit: 200, offset });
        logs.push(...page);
        if (page.length < 200) break;
      }
      for (const id of runs) {
        const tail = await json(`${api}/v1/agent/tail-logs`, { flow_run_id: id, lines: 1 });
        assert.equal(tail.total_lines, logs.filter((x) => x.flow_run_id === id).length, `log count of run ${id}`);
        const loggers = await json(`${api}/traces/${id}/observed-loggers`);
        assert.deepEqual(
          loggers.map((o: { logger_name: string; count: number }) => [o.logger_name, o.count]),
          [['crash.client', logs.filter((x) => x.flow_run_id === id).length]],
        );
      }
      const [{ account_id: a, workspace_id: w }] = await json(`${api}/me/workspaces`);
      const cloud = `${api}/accounts/${a}/workspaces/${w}`;
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const counted = await json(`${cloud}/events/count-by/event`, {
        filter: { occurred: { since }, event: { name: ['crash.http'] } },
      });
      let page = await json(`${cloud}/events/filter`, {
        filter: { occurred: { since }, event: { name: ['crash.http'] } },
        limit: 200,
      });
      let n = page.events.length;
      while (page.next_page) {
        page = await json(page.next_page);
        n += page.events.length;
      }
      assert.deepEqual(
        counted.map((c: { value: string; count: number }) => [c.value, c.count]),
        [['crash.http', n]],
      );
    } finally {
      await stop(server);
    }
  });
});

forEngine('postgres', 'backup and restore', (engine) => {
  it('points PostgreSQL users to pg_dump instead of copying', async () => {
    const url = await engine.newDatabaseUrl();
    for (const args of [
      ['backup', '--db', url, '--to', join(tempDir(), 'x.db')],
      ['restore', '--db', url, '--from', join(tempDir(), 'x.db')],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /back up PostgreSQL with pg_dump or point-in-time recovery \(docs\/operations\.md\)/);
    }
  });
});
