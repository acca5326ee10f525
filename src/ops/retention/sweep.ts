/**
 * The retention sweep (issue 24, ADR 42): for every workspace, the settings in force (its own, else
 * the flags), then finished run trees, logs and events older than their cutoffs removed in bounded
 * batches — each batch one short transaction that keeps derived data true — yielding to ingest
 * between batches. One sweep at a time (`RetentionStore.exclusive`). Time comes from `now`, so
 * tests move it instead of waiting.
 */
import {
  cutoff,
  type EventGroup,
  type EventOwner,
  eventGroups,
  policyFor,
  type RemovedCounts,
  type RetentionFlags,
  type RetentionKind,
  type RetentionPolicy,
} from '../../domain/retention.ts';
import type { Micros } from '../../domain/time.ts';
import type { Store } from '../../store/contract.ts';
import { type StoreServices, storeOf } from '../context.ts';
import { Pacer } from './pacer.ts';

export interface SweepOptions {
  flags: RetentionFlags;
  /** Rows per transaction (`--retention-batch`); fewer while ingest is busy. */
  batch: number;
  now: () => Micros;
  /** True while ingest is busy: batches then shrink and pause (default: never busy). */
  busy?: () => boolean;
  /** Count what would go, remove nothing, record nothing. */
  dryRun?: boolean;
}

export interface WorkspaceSweep {
  accountId: string;
  /** Null for an account's account-level events, which follow the flags. */
  workspaceId: string | null;
  policy: RetentionPolicy;
  started: Micros;
  finished: Micros;
  removed: RemovedCounts;
  /** Milliseconds spent per kind. */
  durations: Record<RetentionKind, number>;
  /** Whole partitions dropped (PostgreSQL), counted once, with the first workspace. */
  partitions: { logs: number; events: number };
}

/** Run trees examined per read of expired traces. */
const TRACE_BATCH = 100;
const TASK_PAGE = 200;

/** Sweeps every workspace; undefined when another sweep holds the lock. */
export async function sweepRetention(
  services: StoreServices,
  opts: SweepOptions,
): Promise<WorkspaceSweep[] | undefined> {
  const store = storeOf(services);
  return store.retention.exclusive(async () => {
    const workspaces = await store.tenancy.listWorkspaces();
    const policies = new Map<string, RetentionPolicy>();
    for (const w of workspaces) policies.set(w.id, policyFor(opts.flags, await store.retention.settings(w.id)));
    const dropped = opts.dryRun ? undefined : await dropWholePartitions(store, [...policies.values()], opts);
    const out: WorkspaceSweep[] = [];
    for (const w of workspaces) out.push(await sweepWorkspace(store, w, policies.get(w.id)!, opts, dropped));
    // Dropped partitions count account-level rows together (`''`): they are reported once.
    let accountRows = dropped?.events.get('') ?? 0;
    for (const a of await store.tenancy.listAccounts()) {
      out.push(await sweepAccountEvents(store, a.id, policyFor(opts.flags, undefined), opts, accountRows));
      accountRows = 0;
    }
    return out;
  });
}

/** The longest of these retentions in seconds; undefined when one of them (or none) keeps forever. */
function longest(seconds: number[]): number | undefined {
  return seconds.length === 0 || seconds.some((s) => s <= 0) ? undefined : Math.max(...seconds);
}

interface Dropped {
  logs: Map<string, number>;
  events: Map<string, number>;
  ms: { logs: number; events: number };
  partitions: { logs: number; events: number };
}

/**
 * Partitioned engines first drop the partitions older than the longest retention in force for
 * their table across workspaces, overrides and the flags (account-scope events follow the flags);
 * what is left past a shorter setting goes by rows. Partitions of the next days are created here
 * too, ahead of the writes that need them.
 */
async function dropWholePartitions(store: Store, policies: RetentionPolicy[], opts: SweepOptions): Promise<Dropped> {
  const now = opts.now();
  await store.retention.prepareAhead(now);
  const result: Dropped = {
    logs: new Map(),
    events: new Map(),
    ms: { logs: 0, events: 0 },
    partitions: { logs: 0, events: 0 },
  };
  const logs = longest(policies.map((p) => p.logs));
  const events = longest(
    [...policies, policyFor(opts.flags, undefined)].flatMap((p) => [
      p.events,
      ...p.eventOverrides.map((o) => o.seconds),
    ]),
  );
  for (const [kind, seconds] of [
    ['logs', logs],
    ['events', events],
  ] as const) {
    if (seconds === undefined) continue;
    const t = Date.now();
    const r = await store.retention.dropExpiredPartitions(kind, now - seconds * 1_000_000);
    result[kind] = r.rows;
    result.partitions[kind] = r.partitions;
    result.ms[kind] = Date.now() - t;
  }
  return result;
}

/** The settings in force for a workspace: its own, else the flags. */
export async function retentionPolicy(services: StoreServices, workspaceId: string, flags: RetentionFlags) {
  return policyFor(flags, await storeOf(services).retention.settings(workspaceId));
}

async function sweepWorkspace(
  store: Store,
  { id: workspaceId, accountId }: { id: string; accountId: string },
  policy: RetentionPolicy,
  opts: SweepOptions,
  dropped: Dropped | undefined,
): Promise<WorkspaceSweep> {
  const started = opts.now();
  const owner = { accountId, workspaceId };
  const removed: RemovedCounts = {
    logs: dropped?.logs.get(workspaceId) ?? 0,
    events: dropped?.events.get(workspaceId) ?? 0,
    runs: 0,
    spans: 0,
  };
  // Time spent dropping partitions is shared: it is reported once, with the first workspace.
  const durations = { logs: dropped?.ms.logs ?? 0, events: dropped?.ms.events ?? 0, runs: 0 };
  const partitions = dropped?.partitions ?? { logs: 0, events: 0 };
  if (dropped) {
    dropped.ms = { logs: 0, events: 0 };
    dropped.partitions = { logs: 0, events: 0 };
  }
  const timed = async (kind: RetentionKind, work: () => Promise<void>) => {
    const t = Date.now();
    await work();
    durations[kind] += Date.now() - t;
  };
  const runsBefore = cutoff(started, policy.runs);
  const logsBefore = cutoff(started, policy.logs);
  const groups = eventGroups(policy, started);
  const pacer = new Pacer(opts);
  if (opts.dryRun) {
    if (runsBefore !== undefined)
      removed.runs = (await store.retention.expiredTraces(workspaceId, runsBefore, Number.MAX_SAFE_INTEGER)).length;
    if (logsBefore !== undefined) removed.logs = await store.retention.countLogs(workspaceId, logsBefore);
    removed.events += await countEvents(store, owner, groups);
    return { accountId, workspaceId, policy, started, finished: opts.now(), removed, durations, partitions };
  }
  // Run trees first: their logs go with them whatever the log setting.
  if (runsBefore !== undefined)
    await timed('runs', async () => {
      const failed = new Set<string>();
      for (;;) {
        const roots = (await store.retention.expiredTraces(workspaceId, runsBefore, TRACE_BATCH + failed.size)).filter(
          (id) => !failed.has(id),
        );
        if (roots.length === 0) break;
        for (const root of roots) {
          const tree = await pacer.step(() => deleteRunTree(store, workspaceId, root));
          removed.logs += tree.logs;
          if (tree.spans === 0) failed.add(root);
          else {
            removed.runs++;
            removed.spans += tree.spans;
          }
        }
      }
      // Traces of OTel spans only (a service that is not a flow) follow the run setting too.
      const joined = new Set<string>();
      for (;;) {
        const traces = (
          await store.retention.expiredOtelTraces(workspaceId, runsBefore, TRACE_BATCH + joined.size)
        ).filter((id) => !joined.has(id));
        if (traces.length === 0) break;
        for (const trace of traces) {
          const n = await pacer.step(() => store.retention.deleteOtelTrace(workspaceId, trace));
          if (n === 0) joined.add(trace);
          removed.spans += n;
        }
      }
    });
  if (logsBefore !== undefined)
    await timed('logs', async () => {
      for (;;) {
        const { n, done } = await pacer.batch((limit) => store.retention.deleteLogs(workspaceId, logsBefore, limit));
        removed.logs += n;
        if (done) break;
      }
      // The ids that recognise an exporter's retry (ADR 41) go with the log setting too.
      for (;;) {
        const { done } = await pacer.batch((limit) => store.retention.forgetOtelLogIds(workspaceId, logsBefore, limit));
        if (done) break;
      }
    });
  await timed('events', async () => {
    removed.events += await deleteEvents(store, owner, groups, pacer);
  });
  const sweep = { accountId, workspaceId, policy, started, finished: opts.now(), removed, durations, partitions };
  await store.retention.recordSweep(workspaceId, sweep);
  return sweep;
}

/**
 * An account's account-level events (not in any workspace) under the flags' event settings; the
 * rows its dropped partitions held (`dropped`) count here. Nothing is recorded: the admin endpoint
 * reports workspaces.
 */
async function sweepAccountEvents(
  store: Store,
  accountId: string,
  policy: RetentionPolicy,
  opts: SweepOptions,
  dropped: number,
): Promise<WorkspaceSweep> {
  const started = opts.now();
  const owner = { accountId, workspaceId: null };
  const groups = eventGroups(policy, started);
  const t = Date.now();
  const events =
    dropped +
    (opts.dryRun ? await countEvents(store, owner, groups) : await deleteEvents(store, owner, groups, new Pacer(opts)));
  return {
    accountId,
    workspaceId: null,
    policy,
    started,
    finished: opts.now(),
    removed: { logs: 0, events, runs: 0, spans: 0 },
    durations: { logs: 0, events: Date.now() - t, runs: 0 },
    partitions: { logs: 0, events: 0 },
  };
}

async function countEvents(store: Store, owner: EventOwner, groups: EventGroup[]): Promise<number> {
  let n = 0;
  for (const g of groups) n += await store.retention.countEvents(owner, g);
  return n;
}

/** Every group's expired events, a batch per transaction, yielding to ingest between batches. */
async function deleteEvents(store: Store, owner: EventOwner, groups: EventGroup[], pacer: Pacer): Promise<number> {
  let removed = 0;
  for (const g of groups)
    for (;;) {
      const { n, done } = await pacer.batch((limit) => store.retention.deleteEvents(owner, g, limit));
      removed += n;
      if (done) break;
    }
  return removed;
}

/**
 * Deletes a trace's flow runs, newest subflows first, each with its task runs, states, artifacts
 * and logs (logs first: a stop in between leaves the run, and the next sweep finishes it). Returns
 * how many runs and task runs went (0 when nothing could be deleted) and how many logs.
 */
async function deleteRunTree(store: Store, ws: string, rootId: string): Promise<{ spans: number; logs: number }> {
  const flowRunIds = (await store.traces.flowRunIds(ws, rootId)).reverse();
  let spans = 0;
  let logs = 0;
  for (const id of flowRunIds) {
    const taskRunIds: string[] = [];
    for (let offset = 0; ; offset += TASK_PAGE) {
      const page = await store.taskRuns.filter(ws, {
        filters: { task_runs: { operator: 'and_', flow_run_id: { operator: 'and_', any_: [id], is_null_: false } } },
        sort: 'ID_DESC',
        limit: TASK_PAGE,
        offset,
        now: 0,
      });
      taskRunIds.push(...page.map((t) => t.id));
      if (page.length < TASK_PAGE) break;
    }
    logs += await store.logs.deleteForRuns(ws, { flowRunIds: [id], taskRunIds });
    if (await store.flowRuns.delete(ws, id)) spans += 1 + taskRunIds.length;
  }
  return { spans, logs };
}

/** `sightline db vacuum`: the store's size before and after giving freed space back. */
export async function compactStore(services: StoreServices): Promise<{ before: number; after: number }> {
  const store = storeOf(services);
  const before = await store.health.sizeBytes();
  await store.retention.compact();
  return { before, after: await store.health.sizeBytes() };
}
