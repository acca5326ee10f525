/**
 * The crash test: clients ingest through every acknowledged path while `sightline serve` is killed
 * with SIGKILL at a seeded random moment; after a restart on the same data, every acknowledged item
 * must be there exactly once (an unacknowledged one at most once), the task runs and spans derived
 * from acknowledged events must exist, and text search must find every acknowledged log once the
 * index has caught up. Rounds accumulate on one database: no crash may lose an earlier round's data.
 *
 * `databaseOutage` does the same around a PostgreSQL stop (`pg_ctl stop -m immediate`) instead:
 * writes answer 503 while the database is away (never 500), and Sightline carries on by itself once
 * it is back.
 */

import { Rng } from '../fuzz/rng.ts';
import { type Served, serve } from '../helpers/cli.ts';
import { type Ledger, newLedger, startClients } from './clients.ts';

export class CrashFailure extends Error {}

export interface CrashOptions {
  /** `serve` arguments that name the data (`--data-dir`, `--db`). */
  data: string[];
  seed: number;
  rounds: number;
  progress?: (line: string) => void;
}

export interface RoundReport {
  round: number;
  killedAfterMs: number;
  acked: { logs: number; events: number; taskRuns: number };
  unackedFound: number;
}

const CLIENTS = { logs: 3, events: 2, sockets: 2 };
const CATCH_UP_MS = 120_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startServer(data: string[]): Promise<Served> {
  return serve(['--host', '127.0.0.1', '--port', '0', '--log-level', 'error', ...data]);
}

async function json(url: string, body?: unknown): Promise<any> {
  const r = await fetch(
    url,
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  const text = await r.text();
  if (r.status !== 200 && r.status !== 201)
    throw new CrashFailure(`${body === undefined ? 'GET' : 'POST'} ${url} → ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Flow runs for the log clients and task runs to belong to (acknowledged before ingest begins). */
export async function makeRuns(api: string, n: number): Promise<string[]> {
  const flow = await json(`${api}/flows/`, { name: 'crash-flow' });
  const runs: string[] = [];
  for (let i = 0; i < n; i++)
    runs.push((await json(`${api}/flow_runs/`, { flow_id: flow.id, name: `crash-run-${i}` })).id);
  return runs;
}

/** How often each marker occurs among `messages` (the marker is a message's last word). */
function countMarkers(messages: string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const m of messages) {
    const marker = m.slice(m.lastIndexOf(' ') + 1);
    seen.set(marker, (seen.get(marker) ?? 0) + 1);
  }
  return seen;
}

async function allLogs(api: string, runs: string[], text?: string): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await json(`${api}/logs/filter`, {
      logs: { flow_run_id: { any_: runs }, ...(text ? { text: { query: text } } : {}) },
      limit: 200,
      offset,
    });
    out.push(...page.map((l: { message: string }) => l.message));
    if (page.length < 200) return out;
  }
}

/** One pass over every ledger entry against what the server returns. */
async function check(
  api: string,
  ledgers: { ledger: Ledger; runs: string[]; token: string }[],
): Promise<{ problems: string[]; unackedFound: number }> {
  const problems: string[] = [];
  let unackedFound = 0;
  let how = new Map<string, string>();
  const expect = (what: string, fate: string, n: number) => {
    if (fate === 'acked' && n !== 1)
      problems.push(
        `acknowledged ${what} found ${n} times (${how.get(what.slice(what.indexOf(' ') + 1)) ?? 'by a 2xx'})`,
      );
    if (fate === 'sent' && n > 1) problems.push(`unacknowledged ${what} found ${n} times`);
    if (fate === 'sent' && n === 1) unackedFound++;
  };
  const [{ account_id: accountId, workspace_id: workspaceId }] = await json(`${api}/me/workspaces`);
  const cloud = `${api}/accounts/${accountId}/workspaces/${workspaceId}`;
  for (const { ledger, runs, token } of ledgers) {
    how = ledger.how;
    const stored = countMarkers(await allLogs(api, runs));
    for (const [m, fate] of ledger.logs) expect(`log ${m}`, fate, stored.get(m) ?? 0);

    const ids = [...ledger.events.keys()];
    const found = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 200) {
      const page = await json(`${cloud}/events/filter`, { filter: { id: { id: ids.slice(i, i + 200) } }, limit: 200 });
      for (const e of page.events) found.set(e.id, (found.get(e.id) ?? 0) + 1);
    }
    for (const [id, fate] of ledger.events) expect(`event ${id}`, fate, found.get(id) ?? 0);

    for (const [id, fate] of ledger.taskRuns) {
      if (fate !== 'acked') continue;
      const run = await fetch(`${api}/task_runs/${id}`);
      if (run.status !== 200)
        problems.push(`task run ${id} of an acknowledged event: ${run.status} (${ledger.how.get(id)})`);
      const span = await fetch(`${api}/spans/lookup/${id}`);
      if (span.status !== 200) problems.push(`span of task run ${id}: ${span.status}`);
    }

    const hits = countMarkers(await allLogs(api, runs, token));
    for (const [m, fate] of ledger.logs)
      if (fate === 'acked' && hits.get(m) !== 1)
        problems.push(`text search finds acknowledged log ${m} ${hits.get(m) ?? 0} times`);
  }
  return { problems, unackedFound };
}

/**
 * Checks every ledger entry against what the restarted server returns, again and again until all
 * hold or `CATCH_UP_MS` passes: the text index catches up after a restart, and rows of
 * transactions that committed beside one the crash cut short become visible once the database has
 * ended that one. Returns how many unacknowledged items were stored (once).
 */
export async function verify(
  api: string,
  ledgers: { ledger: Ledger; runs: string[]; token: string }[],
): Promise<number> {
  const deadline = Date.now() + CATCH_UP_MS;
  for (;;) {
    const { problems, unackedFound } = await check(api, ledgers);
    if (!problems.length) return unackedFound;
    if (Date.now() > deadline)
      throw new CrashFailure(
        `${problems.length} problems after ${CATCH_UP_MS / 1000} s:\n${problems.slice(0, 30).join('\n')}`,
      );
    await pause(500);
  }
}

export async function untilAcked(l: Ledger): Promise<void> {
  const deadline = Date.now() + 120_000;
  const acked = (m: Map<string, string>) => [...m.values()].includes('acked');
  while (!(acked(l.logs) && acked(l.events) && acked(l.taskRuns))) {
    if (Date.now() > deadline)
      throw new CrashFailure(
        `the clients got no acknowledgement on every path within 120 s: ${JSON.stringify(counts(l))}`,
      );
    await pause(20);
  }
}

const counts = (l: Ledger) => ({
  logs: [...l.logs.values()].filter((f) => f === 'acked').length,
  events: [...l.events.values()].filter((f) => f === 'acked').length,
  taskRuns: [...l.taskRuns.values()].filter((f) => f === 'acked').length,
});

export async function runCrash(opts: CrashOptions): Promise<RoundReport[]> {
  const rng = new Rng(opts.seed);
  const history: { ledger: Ledger; runs: string[]; token: string }[] = [];
  const reports: RoundReport[] = [];
  let server = await startServer(opts.data);
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const api = server.lines.api;
      const runs = await makeRuns(api, CLIENTS.logs);
      const ledger = newLedger();
      const token = `crashtok${opts.seed}x${round}`;
      history.push({ ledger, runs, token });
      const clients = startClients({ api, token, prefix: `s${opts.seed}r${round}`, runs, ledger }, CLIENTS);
      // The seeded moment counts from when every path has had an acknowledgement (a loaded machine
      // starts the clients slowly), so that each round crashes in the middle of real ingest.
      await untilAcked(ledger);
      const killAfter = rng.int(2500);
      await pause(killAfter);
      server.child.kill('SIGKILL');
      const killedAt = Date.now();
      await server.exited;
      await clients.stop();
      server = await startServer(opts.data);
      const unackedFound = await verify(server.lines.api, history).catch((err) => {
        if (err instanceof CrashFailure) err.message = `round ${round}, killed at ${killedAt}: ${err.message}`;
        throw err;
      });
      const report = { round, killedAfterMs: killAfter, acked: counts(ledger), unackedFound };
      reports.push(report);
      opts.progress?.(
        `round ${round}: killed after ${killAfter} ms; ${report.acked.logs} logs, ${report.acked.events} events, ${report.acked.taskRuns} task runs acknowledged, all found once; ${unackedFound} unacknowledged found once`,
      );
    }
  } catch (err) {
    if (err instanceof CrashFailure)
      err.message += `\nreproduce: npm run crash -- --seed ${opts.seed} --rounds ${opts.rounds}\nserver output (tail):\n${server.stderr().slice(-3000)}`;
    throw err;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  return reports;
}

/** What a database outage did to the writes. */
export interface OutageReport {
  statuses: Record<string, number>;
  closes: number[];
  recoveredAfterMs: number;
  acked: { logs: number; events: number; taskRuns: number };
}

/**
 * Ingest, stop the database as a crash would, keep ingesting, start it again: writes answer 503
 * (never 500) while it is away, succeed again without restarting Sightline, and every acknowledged
 * item is there afterwards.
 */
export async function databaseOutage(opts: {
  data: string[];
  seed: number;
  crashDb(): void;
  restartDb(): void;
}): Promise<OutageReport> {
  const rng = new Rng(opts.seed);
  const server = await startServer(opts.data);
  try {
    const api = server.lines.api;
    const runs = await makeRuns(api, CLIENTS.logs);
    const ledger = newLedger();
    const token = `outagetok${opts.seed}`;
    const clients = startClients(
      { api, token, prefix: `o${opts.seed}`, runs, ledger, persistent: true },
      { ...CLIENTS, sockets: 1 },
    );
    await untilAcked(ledger);
    await pause(rng.int(1500));
    opts.crashDb();
    const downAt = Date.now();
    await pause(2000);
    opts.restartDb();
    // Sightline must come back by itself: writes succeed again without a restart.
    let recoveredAfterMs = -1;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const probeLog = JSON.stringify([
        { name: 'crash.probe', level: 20, message: 'probe', timestamp: new Date().toISOString() },
      ]);
      const r = await fetch(`${api}/logs/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: probeLog,
      }).catch(() => undefined);
      const probe = await fetch(`${api}/flow_runs/filter`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).catch(() => undefined);
      if (r?.status === 201 && probe?.status === 200) {
        recoveredAfterMs = Date.now() - downAt;
        break;
      }
      await pause(100);
    }
    await pause(500);
    await clients.stop();
    if (recoveredAfterMs < 0)
      throw new CrashFailure('writes did not succeed again within 120 s of the database restart');
    const statuses = Object.fromEntries(ledger.statuses);
    const bad = Object.keys(statuses).filter((s) => ![201, 204, 503].includes(Number(s)));
    if (bad.length)
      throw new CrashFailure(
        `writes answered ${bad.join(', ')} around the outage (only 2xx and 503 are allowed): ${JSON.stringify(statuses)}`,
      );
    if (!statuses[503])
      throw new CrashFailure(
        `no write met the outage (${JSON.stringify(statuses)}): the database was not stopped in time`,
      );
    if (ledger.closes.includes(1011))
      throw new CrashFailure(`/events/in closed as an internal error (1011) during the outage: ${ledger.closes}`);
    await verify(api, [{ ledger, runs, token }]);
    return { statuses, closes: ledger.closes, recoveredAfterMs, acked: counts(ledger) };
  } catch (err) {
    if (err instanceof CrashFailure) err.message += `\nserver output (tail):\n${server.stderr().slice(-3000)}`;
    throw err;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}
