/**
 * The store contract: everything Sightline persists goes through these interfaces, and nothing
 * above the store speaks SQL. Every engine (`sqlite/`, `postgres/`) implements all of it and
 * passes the same conformance suite (`conformance/`).
 *
 * General rules for every method:
 * - Every method that touches workspace data takes the workspace id first; data of one workspace
 *   is never visible through another.
 * - A write resolves only once it is committed (durable under the engine's sync setting).
 * - Reads are bounded: callers always pass a limit.
 * - Times are integer microseconds since the epoch.
 */

import type { ApiKey, NewApiKey } from '../domain/access.ts';
import type {
  CountKey,
  EventCountRow,
  EventFilter,
  EventOrder,
  EventQuery,
  EventScope,
  NewEvent,
  StoredEvent,
  TimeBuckets,
} from '../domain/events.ts';
import type { LogFilter, LogQuery, LogRow, NewLog } from '../domain/logs.ts';
import type { DownloadJob, DownloadStatus, NewDownload } from '../domain/management/downloads.ts';
import type { KindName, MigrationRecord, MigrationValue } from '../domain/migration.ts';
import type { ObservedLogger, ObservedLoggerQuery } from '../domain/observed-loggers.ts';
import type { OtelSpanRow } from '../domain/otlp/spans.ts';
import type { EventGroup, EventOwner, SweepRecord, WorkspaceRetention } from '../domain/retention.ts';
import type { ArtifactRow, ArtifactUpdate } from '../domain/runs/artifacts.ts';
import type {
  ArtifactSort,
  FlowRunSort,
  FlowSort,
  RunFilterSet,
  RunQuery,
  TaskRunSort,
} from '../domain/runs/filters.ts';
import type { FlowRunRow, NewFlowRun } from '../domain/runs/flow-runs.ts';
import type { FlowRow } from '../domain/runs/flows.ts';
import type { HistoryQuery, HistoryRow, RunCountColumn } from '../domain/runs/history.ts';
import type { FlowRunPolicy } from '../domain/runs/policies.ts';
import type { RunListQuery, RunListRow } from '../domain/runs/run-list.ts';
import type { StateRow } from '../domain/runs/states.ts';
import type { TaskRunEventRecord } from '../domain/runs/task-run-recorder.ts';
import type { NewTaskRun, TaskRunOutline, TaskRunRow } from '../domain/runs/task-runs.ts';
import type { ObservedState, ObservedStateQuery, ObservedTag } from '../domain/spans/observed.ts';
import type { SpanListQuery } from '../domain/spans/query.ts';
import type { SpanOutline, SpanRow } from '../domain/spans/span.ts';
import type { StateChanges } from '../domain/spans/state-changes.ts';
import type { Account, NewAccount, NewWorkspace, Workspace } from '../domain/tenancy.ts';
import type { Micros } from '../domain/time.ts';
import type {
  DeliveryOutcome,
  NewDelivery,
  NewWebhook,
  PendingDelivery,
  Webhook,
  WebhookDelivery,
} from '../domain/webhooks.ts';

export interface TenancyStore {
  /**
   * Creates the default account and workspace on first use and returns them; later calls (from
   * this or another instance on the same database) return the same ids.
   */
  ensureDefaults(): Promise<{ account: Account; workspace: Workspace }>;
  getAccount(accountId: string): Promise<Account | undefined>;
  /** Every account, oldest first. */
  listAccounts(): Promise<Account[]>;
  /** Creates an account. Rejects with `conflict` when the handle is taken. */
  createAccount(input: NewAccount): Promise<Account>;
  /** The workspace with this id inside this account, or undefined. */
  getWorkspace(accountId: string, workspaceId: string): Promise<Workspace | undefined>;
  /** Every workspace (of one account, when given), oldest first. */
  listWorkspaces(accountId?: string): Promise<Workspace[]>;
  /** Creates a workspace. Rejects with `conflict` when the handle is taken in the account. */
  createWorkspace(input: NewWorkspace): Promise<Workspace>;
  /**
   * The secret that signs page tokens and cursors: created once, kept in the database so that
   * every instance on it accepts the others' tokens.
   */
  tokenSecret(): Promise<string>;
}

/**
 * API keys (ADR 27). Only the SHA-256 of a secret is stored. Servers keep what they read in memory
 * for a few seconds, so that no request waits on the database for its key.
 */
export interface KeyStore {
  /** Stores a new key (`created` = now). Rejects with `conflict` when its hash is already stored. */
  create(key: NewApiKey): Promise<ApiKey>;
  /** The key with this hash, revoked and expired ones included; undefined when there is none. */
  byHash(hash: string): Promise<ApiKey | undefined>;
  /** Every key (of one account, when given), oldest first. */
  list(accountId?: string): Promise<ApiKey[]>;
  /** Marks a key revoked at `at` (a key already revoked keeps its time); undefined for an unknown id. */
  revoke(id: string, at: Micros): Promise<ApiKey | undefined>;
  /** Records that a key was used at `at` (later than what is stored; earlier times are ignored). */
  touch(id: string, at: Micros): Promise<void>;
}

export interface LogStore {
  /**
   * Appends logs (any mix of workspaces) in one transaction and returns them with their `seq`,
   * in input order. `seq` increases with insertion order across the whole database. With several
   * concurrent writers (PostgreSQL) positions can commit out of order: only a `ChangeNotice`'s
   * `maxSeq` promises that nothing below it is still to come. PostgreSQL stores logs in day
   * partitions; retention will drop whole partitions (ADR 8).
   *
   * OTLP records (`NewLog.otlp`, ADR 41 and 48), in the same transaction: their ids are recorded
   * (`OtelStore.knownLogIds`). A record with `waitFor` whose span (`OtelStore.runsOfSpans`) has
   * joined a run by then is stored with that run's ids; else it waits until `waitFor.until`: when
   * its span joins a run before then — through any write that links or places OTel spans or writes
   * the run — that write's transaction gives the log the run's ids, and `runStats`, the per-run
   * `observedLoggers` and every read by run follow (the workspace's logger statistics counted it
   * already). A waiting log removed by retention stops waiting.
   */
  append(logs: NewLog[]): Promise<LogRow[]>;
  /**
   * Logs matching `query.filter`, ordered by `(timestamp, seq)` ascending or descending per
   * `query.sort`. `query.after` (a keyset cursor) keeps only rows strictly after that position in
   * the chosen order; `offset` then skips rows. Text filters always return complete results: rows
   * not yet in the text index are scanned.
   */
  filter(workspaceId: string, query: LogQuery): Promise<LogRow[]>;
  /**
   * How many logs match `filter` (no text search: counting every match of a text query would
   * scan). Costs in proportion to the matching rows (an index range); a whole run's count is
   * `runStats`, which costs nothing.
   */
  count(workspaceId: string, filter: Omit<LogFilter, 'text'>): Promise<number>;
  /**
   * The logs matching `filter` (no text search) counted per time bucket and level: `buckets`
   * equal intervals from the first matching log's timestamp to the last (`interval` ≥ 1 µs;
   * `start` undefined when nothing matches). Costs an index range over the matching rows, twice.
   */
  levelHistogram(workspaceId: string, filter: Omit<LogFilter, 'text'>, buckets: number): Promise<LevelHistogram>;
  /**
   * The log with this id among one flow run's logs, or undefined. Logs have no id index (it
   * would slow every append): this reads the run's logs, in proportion to their number.
   */
  getInRun(workspaceId: string, flowRunId: string, id: string): Promise<LogRow | undefined>;
  /**
   * Moves up to `maxRows` not-yet-indexed logs into the text index (and, where the index is kept
   * apart from the logs, removes entries of up to `maxRows` deleted ones); returns how many it
   * indexed or removed, 0 when nothing was left to do.
   * Called by the background indexer, never on the acknowledgement path.
   */
  indexText(maxRows: number): Promise<number>;
  /**
   * True when `indexText` does its work off the caller's thread (the caller then need not leave
   * time for ingest between calls). Absent = false.
   */
  readonly textIndexOffThread?: boolean;
  /** Number of stored logs not yet in the text index. */
  textIndexLag(): Promise<number>;
  /**
   * Counters of one flow run's logs, maintained by `append` in the same transaction (never a
   * count over the logs): how many there are, the highest `seq` among them, and how many are
   * warnings and errors. Undefined when
   * the run has no logs. Any append to the run changes the pair.
   */
  runStats(workspaceId: string, flowRunId: string): Promise<RunLogStats | undefined>;
  /** `runStats` of many runs in one read: runs without logs are absent from the map. */
  runStatsMany(workspaceId: string, flowRunIds: string[]): Promise<Map<string, RunLogStats>>;
  /**
   * Logger statistics, maintained by `append` in the same transaction: per logger name the number
   * of logs and the earliest and latest log `timestamp`. Over the whole workspace, or, with
   * `flowRunIds`, over the logs of those flow runs only (each name once, counts summed). Ordered
   * by `query.orderBy` (`LAST_SEEN_DESC` breaks ties by name ascending; names compare by code
   * point), at most `query.limit` entries; `query.prefix` keeps names starting with it (case-
   * sensitive). Empty when nothing matches.
   */
  observedLoggers(
    workspaceId: string,
    query: ObservedLoggerQuery & { flowRunIds?: string[] },
  ): Promise<ObservedLogger[]>;
  /**
   * The position live subscribers start from: a `seq` such that every log with a lower or equal
   * `seq` is committed and every later commit gets a higher `seq` (0 when there are no logs).
   */
  lastSeq(): Promise<number>;
  /**
   * Logs of one workspace with `after < seq <= upTo`, in `seq` order, at most `limit` — what a
   * live subscriber reads after a change notice announced `upTo`. An empty result with
   * `limit > 0` means the workspace has no logs in that range.
   */
  tail(workspaceId: string, range: { after: number; upTo: number; limit: number }): Promise<LogRow[]>;
  /**
   * Deletes the logs of these runs (logs whose `flow_run_id` is one of `flowRunIds` or whose
   * `task_run_id` is one of `taskRunIds`), text index entries included; returns how many. Used
   * when a run is deleted. Empty lists delete nothing. The statistics kept at ingest follow:
   * `runStats` and logger counts drop by the deleted logs (entries reaching zero disappear), and
   * surviving loggers' first/last seen times and runs' highest `seq` are read again.
   */
  deleteForRuns(workspaceId: string, runs: { flowRunIds: string[]; taskRunIds: string[] }): Promise<number>;
}

export interface LevelHistogram {
  start?: Micros;
  interval: Micros;
  rows: { bucket: number; level: number; count: number }[];
}

export interface RunLogStats {
  count: number;
  maxSeq: number;
  /** Logs at WARNING level (30–39) and at ERROR or above (≥ 40). */
  warnings: number;
  errors: number;
}

export interface TraceStore {
  /**
   * The flow runs of a trace (its root flow run and every subflow run under it, at any depth:
   * a subflow's `parent_task_run_id` is a task run of its parent), whose logs are the trace's
   * logs, read from the span projection (`SpanStore`): `traceId` first, then every flow-run span
   * whose path passes through it, in span order — so a subflow's id gives the subflows beneath
   * it. `traceId` is always included, recorded or not. At most 10,000 runs.
   */
  flowRunIds(workspaceId: string, traceId: string): Promise<string[]>;
  /**
   * The first `limit` spans of a trace in span order, each in its light form: a whole-trace tree
   * (the agent tools' `get-trace-tree`) reads thousands of them, and decoding full rows (tags,
   * attributes, counters) would cost more than the query.
   */
  outline(workspaceId: string, traceId: string, limit: number): Promise<SpanOutline[]>;
  /** The first `limit` task runs of a flow run by expected start (then id), in their light form. */
  taskRunOutlines(workspaceId: string, flowRunId: string, limit: number): Promise<TaskRunOutline[]>;
}

export interface EventAppendResult {
  /** The events that were new, with their `seq`, in input order. Duplicates are left out. */
  inserted: StoredEvent[];
  /** How many input events were duplicates (already stored, or earlier in the same batch). */
  duplicates: number;
}

export interface EventStore {
  /**
   * Appends events (any mix of tenants) in one transaction. Idempotent per tenant: an event whose
   * id is already stored for the same workspace — or, for account-scope events (`workspaceId`
   * null), for the same account — is skipped, even with different content (first write wins);
   * the same id in another tenant is a different event. PostgreSQL keys dedup on
   * `(tenant, id, occurred)` because its table is partitioned by `occurred` (ADR "PostgreSQL
   * partitions and dedup"): the residual case — one id re-sent with a *different* `occurred` — is
   * stored twice there; Prefect clients re-send the same event object. Every projection registered with the
   * engine (see `EventProjection`) runs inside the same transaction, with the inserted events
   * only, so a projection never sees a duplicate and commits or rolls back with the events.
   */
  append(events: NewEvent[]): Promise<EventAppendResult>;
  /**
   * Events of `scope` matching `query.filter`, ordered by `(occurred, id)` in `query.order`.
   * `after` keeps only events strictly after that position in the chosen order, `offset` then
   * skips; `maxSeq`/`minSeq` bound `seq` (snapshots for paging, new rows for live streams). With
   * `filter.resource.distinct` only the first event (in the chosen order) of each primary
   * resource is kept, before `after`/`offset`/`limit` apply.
   */
  query(scope: EventScope, query: EventQuery): Promise<StoredEvent[]>;
  /** Exact number of events `query` would return without `after`, `offset` and `limit`. */
  count(scope: EventScope, query: Omit<EventQuery, 'limit' | 'offset' | 'after'>): Promise<number>;
  /** The highest `seq` committed so far (0 when empty). */
  maxSeq(): Promise<number>;
  /**
   * Events of `scope` matching `filter`, grouped by `key`: `time` (bucket index by `occurred`,
   * floor((occurred − origin) / width); needs `buckets`), `event` (name), `resource` (primary
   * resource id; label = its latest `prefect.resource.name`, else `prefect.name`), `workspace`
   * (workspace id, `''` for account-scope events), `actor` (the `prefect.resource.id` of the first
   * related resource with role `actor`, `''` when none; label = its latest name). Only non-empty
   * groups, in no particular order; `first`/`last` are the min/max `occurred` of the group.
   * Engines answer from rollups when the filter allows it (window, event names/prefixes, resource
   * ids) and count exactly otherwise; both give the same result.
   */
  countBy(scope: EventScope, key: CountKey, filter: EventFilter, buckets?: TimeBuckets): Promise<EventCountRow[]>;
  /**
   * Events of one flow run in a workspace: primary resource `prefect.flow-run.<id>`, and with
   * `withTaskRuns` also events whose primary resource is a `prefect.task-run.*` that carries
   * `prefect.flow-run.<id>` as related resource with role `flow-run`. No time window; ordered by
   * `(occurred, id)` in `order`.
   */
  runEvents(
    workspaceId: string,
    flowRunId: string,
    q: { withTaskRuns: boolean; order: EventOrder; offset: number; limit: number },
  ): Promise<StoredEvent[]>;
  /** How many events `runEvents` would return in total — read from counters kept at ingest. */
  runEventCount(workspaceId: string, flowRunId: string, withTaskRuns: boolean): Promise<number>;
}

export type TagSort = 'NAME_ASC' | 'NAME_DESC' | 'LAST_SEEN_ASC' | 'LAST_SEEN_DESC';

export interface TagRow {
  name: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
}

/**
 * The workspace tag index, fed only by stored events: each related resource with role `tag` and
 * id `prefect.tag.<name>` upserts `<name>` (first/last `occurred`, count) inside the append.
 */
export interface TagStore {
  /**
   * Tags whose name contains `search` (case-insensitive), sorted by `sort` (ties by name
   * ascending), `limit` after `offset`; `count` is the number of matching tags.
   */
  list(
    workspaceId: string,
    q: { search?: string; sort: TagSort; limit: number; offset: number },
  ): Promise<{ results: TagRow[]; count: number }>;
  /** Removes the tag from the index (no-op when absent). Events are never rewritten. */
  delete(workspaceId: string, name: string): Promise<void>;
}

/**
 * A projection maintained inside the event append transaction (tag index, count-by rollups; the
 * runs branch's task-run recorder). Engines keep their own list; `tx` is the engine's transaction
 * handle (SQLite: its `Db`; PostgreSQL: the transaction's client). Registered at store open,
 * before the first append (`registerEventProjection` on the engine's store object).
 */
export interface EventProjection<Tx = unknown> {
  readonly name: string;
  apply(tx: Tx, inserted: StoredEvent[]): void | Promise<void>;
}

/*
 * Runs. Every run query takes a `RunQuery`: the filter objects of a Prefect request
 * (`domain/runs/filters.ts`, semantics in `store/sql/run-filters.ts`), a sort, `limit`, `offset`
 * and `now` (for the time-dependent sorts). Every sort ends with `id DESC` as the tie-break, and
 * NULLs sort last in both directions, so pages are stable and identical on every engine.
 *
 * State writes are compare-and-set: `writeState` applies only if the run's current state is still
 * `expectedStateId` (the one orchestration decided from), else it answers `conflict` and the caller
 * decides again. Bookkeeping (`domain/runs/bookkeeping.ts`) is applied inside the transaction.
 */

/** The outcome of a compare-and-set state write. */
export type StateWriteResult<R> =
  | { outcome: 'written'; run: R; previous: StateRow | null }
  | { outcome: 'conflict' }
  | { outcome: 'not_found' };

export interface StateWrite {
  /** The state the decision was made from (null: the run had none). */
  expectedStateId: string | null;
  /** The new state, with its id and timestamp already minted. */
  state: StateRow;
}

export interface FlowStore {
  /**
   * Get-or-create by name within the workspace: inserts `flow` when no flow has its name, else
   * returns the existing flow unchanged. `created` tells which happened.
   */
  upsert(workspaceId: string, flow: FlowRow): Promise<{ flow: FlowRow; created: boolean }>;
  get(workspaceId: string, id: string): Promise<FlowRow | undefined>;
  /** Flows matching `query.filters` (a flow matches `flow_runs`/`task_runs` when one of its runs does). */
  filter(workspaceId: string, query: RunQuery<FlowSort>): Promise<FlowRow[]>;
  count(workspaceId: string, filters: RunFilterSet): Promise<number>;
}

export interface FlowRunStore {
  /**
   * Inserts a run with its initial state (bookkeeping applied) in one transaction. When
   * `run.idempotency_key` is already used by a run of the same flow, returns that run instead and
   * writes nothing (`created: false`). A subflow (`parent_task_run_id` set) also moves its tracking
   * task run to a copy of the state (`domain/runs/subflows.ts`).
   */
  create(workspaceId: string, run: NewFlowRun, initial: StateRow): Promise<{ run: FlowRunRow; created: boolean }>;
  get(workspaceId: string, id: string): Promise<FlowRunRow | undefined>;
  /** Sets the given fields (and `updated`); false when the run does not exist. */
  update(workspaceId: string, id: string, patch: FlowRunPatch): Promise<boolean>;
  /** Merges `labels` into the run's labels (new keys win); false when the run does not exist. */
  mergeLabels(workspaceId: string, id: string, labels: Record<string, unknown>, updated: number): Promise<boolean>;
  /**
   * Compare-and-set state write (see above); also stores `empiricalPolicy` when given and moves a
   * subflow's tracking task run along, all in one transaction.
   */
  writeState(
    workspaceId: string,
    id: string,
    write: StateWrite & { empiricalPolicy?: FlowRunPolicy },
  ): Promise<StateWriteResult<FlowRunRow>>;
  /**
   * Deletes the run, its state history, its task runs (and their states) and the artifacts of the
   * run and of its task runs. Subflows are kept; their `parent_task_run_id` becomes null. Logs are
   * the log store's (`LogStore.deleteForRuns`). False when the run does not exist.
   */
  delete(workspaceId: string, id: string): Promise<boolean>;
  filter(workspaceId: string, query: RunQuery<FlowRunSort>): Promise<FlowRunRow[]>;
  count(workspaceId: string, filters: RunFilterSet): Promise<number>;
  /**
   * A page of the management API's run list (`domain/runs/run-list.ts`: its filters, order and
   * row) with the exact number of runs matching.
   */
  list(workspaceId: string, query: RunListQuery): Promise<{ rows: RunListRow[]; total: number }>;
  /**
   * Runs whose `query.by` time falls in `[start, end)`, grouped by interval (`bucket` = index from
   * `start`) and state, with summed estimated run time (RUNNING runs grow to `now`) and lateness.
   */
  history(workspaceId: string, query: HistoryQuery): Promise<HistoryRow[]>;
  /** Runs matching the filters, counted by a column's value (null values left out). */
  countBy(workspaceId: string, filters: RunFilterSet, column: RunCountColumn): Promise<Map<string, number>>;
  /** The run's state history, oldest first (timestamp, then id); empty for an unknown run. */
  states(workspaceId: string, flowRunId: string): Promise<StateRow[]>;
  getState(workspaceId: string, stateId: string): Promise<StateRow | undefined>;
  /**
   * For each of these runs that has states: its latest `perRun` states (type, name, timestamp),
   * oldest first (timestamp, then id), and how many states it has in all.
   */
  stateChanges(workspaceId: string, runIds: string[], perRun: number): Promise<Map<string, StateChanges>>;
}

export type FlowRunPatch = Partial<
  Pick<
    FlowRunRow,
    'name' | 'flow_version' | 'parameters' | 'empirical_policy' | 'tags' | 'infrastructure_pid' | 'job_variables'
  >
> & { updated: number };

export interface TaskRunStore {
  /**
   * Get-or-create with its initial state: returns the existing run (`created: false`) when one has
   * `run.id`, or — for a run with a flow run — the same `(flow_run_id, task_key, dynamic_key)`;
   * otherwise inserts it with `initial` (bookkeeping applied).
   */
  create(workspaceId: string, run: NewTaskRun, initial: StateRow): Promise<{ run: TaskRunRow; created: boolean }>;
  get(workspaceId: string, id: string): Promise<TaskRunRow | undefined>;
  rename(workspaceId: string, id: string, name: string, updated: number): Promise<boolean>;
  /** Compare-and-set state write (see above); `flowRunRunCount` updates `flow_run_run_count`. */
  writeState(
    workspaceId: string,
    id: string,
    write: StateWrite & { flowRunRunCount?: number },
  ): Promise<StateWriteResult<TaskRunRow>>;
  /**
   * Deletes the task run, its states and its artifacts; subflows it tracked keep existing with
   * `parent_task_run_id` null. False when it does not exist.
   */
  delete(workspaceId: string, id: string): Promise<boolean>;
  /** Task runs matching the filters (`flows`/`flow_runs`/`deployments` need a matching flow run). */
  filter(workspaceId: string, query: RunQuery<TaskRunSort>): Promise<TaskRunRow[]>;
  count(workspaceId: string, filters: RunFilterSet): Promise<number>;
  /** As `FlowRunStore.history`, over task runs. */
  history(workspaceId: string, query: HistoryQuery): Promise<HistoryRow[]>;
  /** As `FlowRunStore.countBy`, over task runs. */
  countBy(workspaceId: string, filters: RunFilterSet, column: RunCountColumn): Promise<Map<string, number>>;
  states(workspaceId: string, taskRunId: string): Promise<StateRow[]>;
  getState(workspaceId: string, stateId: string): Promise<StateRow | undefined>;
  /** As `FlowRunStore.stateChanges`, over task runs. */
  stateChanges(workspaceId: string, runIds: string[], perRun: number): Promise<Map<string, StateChanges>>;
  /**
   * The task-run recorder's projection of client task-run events, in input order, in one
   * transaction (engines also expose it to run inside the event store's append transaction). For
   * each record: find the run by id, else by `(flow_run_id, task_key, dynamic_key)`; insert it when
   * absent; replace its fields and current state only when the record's state timestamp is later
   * than the stored one; add the state to the history unless its id is already there. Duplicate and
   * out-of-order records therefore converge on the latest state. Task runs of flow runs that do not
   * exist (yet) are kept.
   */
  record(workspaceId: string, records: TaskRunEventRecord[]): Promise<void>;
}

export interface ArtifactStore {
  create(workspaceId: string, artifact: ArtifactRow): Promise<ArtifactRow>;
  get(workspaceId: string, id: string): Promise<ArtifactRow | undefined>;
  /** Sets the given fields and `updated`; false when the artifact does not exist. */
  update(workspaceId: string, id: string, patch: ArtifactUpdate, updated: number): Promise<boolean>;
  delete(workspaceId: string, id: string): Promise<boolean>;
  /** Artifacts matching `artifacts` and, through their runs, `flow_runs`/`task_runs`/`flows`/`deployments`. */
  filter(workspaceId: string, query: RunQuery<ArtifactSort>): Promise<ArtifactRow[]>;
  count(workspaceId: string, filters: RunFilterSet): Promise<number>;
}

/*
 * Spans: every flow run, task run and artifact is a span (`domain/spans/`). Spans are a projection
 * the engine maintains inside the transaction of every run write — flow run create, update, label
 * merge, state write and delete; task run create, rename, state write, delete and the recorder's
 * `record`; artifact create, update and delete — so reads never recompute them. Placement
 * (`trace_id`, `parent_span_id`, `path`, `depth`) follows `domain/spans/placement.ts`: a parent
 * that has not arrived stands in as the root, and when it arrives its subtree is re-rooted in the
 * same transaction; removing a span re-places its surviving children (a detached subflow becomes
 * the root of its own trace). `version` grows by one and `published` is set on every change of
 * anything a span renders, its child counts included. A database whose runs predate the spans is
 * backfilled once when the store opens.
 *
 * Span order is `(start_time nulls last, span_id)`, a total order; descending is its exact reverse.
 */
export interface SpanStore {
  /** True when at least one span belongs to the trace. */
  hasTrace(workspaceId: string, traceId: string): Promise<boolean>;
  /** The span with this id, in whichever trace it is; undefined when there is none. */
  get(workspaceId: string, spanId: string): Promise<SpanRow | undefined>;
  /** The spans of `traceId` whose ids are in `ids`, in span order; other ids are skipped. */
  getMany(workspaceId: string, traceId: string, ids: string[]): Promise<SpanRow[]>;
  /**
   * Spans of the trace matching `query.filters` (every condition must hold; list conditions are
   * any-of; `text` is Prefect's text grammar over name, tags and attribute values, case-
   * insensitive), in span order or its reverse (`descending`), strictly after `query.after` in
   * that order, at most `query.limit`. Empty for an unknown trace.
   */
  list(workspaceId: string, traceId: string, query: SpanListQuery): Promise<SpanRow[]>;
  /**
   * Tags with the number of spans carrying them, over every span of a trace, or over a span and
   * all its descendants; `prefix` keeps tags starting with it (case-insensitive). Ordered by count
   * descending, then tag (code point). Empty for an unknown trace or span.
   */
  observedTags(
    workspaceId: string,
    scope: { traceId: string } | { spanId: string },
    prefix?: string,
  ): Promise<ObservedTag[]>;
  /**
   * State type/name pairs with the earliest and latest timestamp of a state of the pair. Over the
   * workspace: every state any run entered (kept when runs are deleted). Over one trace: the
   * current states of its spans (what its `state_types`/`state_names` filters can match), with
   * the times the spans entered them. Prefix, order and limit per `domain/spans/observed.ts`
   * (`selectObservedStates`).
   */
  observedStates(workspaceId: string, scope: { traceId?: string }, query: ObservedStateQuery): Promise<ObservedState[]>;
}

/** A data stream whose new rows live subscribers follow. */
export type StreamName = 'logs' | 'events';

/** OpenTelemetry data received over OTLP (issue 23). */
export interface OtelStore {
  /**
   * Stores OTel spans and brings their `otel` spans up to date (placement, parents' counts,
   * re-rooting of spans that waited for them), in one transaction. A span re-sent with the same
   * trace and id replaces itself; a span whose id another trace of the workspace already uses
   * (stored, or earlier in `spans`) is not stored. Returns the indexes of those not stored.
   */
  writeSpans(workspaceId: string, spans: OtelSpanRow[]): Promise<number[]>;
  /** Of these log ids, those of OTLP log records appended (`NewLog.otlp`, recorded by `LogStore.append`). */
  knownLogIds(workspaceId: string, ids: string[]): Promise<Set<string>>;
  /**
   * The runs OTel spans (UUID form) belong to, for those joined to one: a run's own OTel span, or
   * an `otel` span beneath a run (its nearest run ancestor). A task run gives its flow run too.
   */
  runsOfSpans(workspaceId: string, spanIds: string[]): Promise<Map<string, SpanRuns>>;
}

export interface SpanRuns {
  flow_run_id: string | null;
  task_run_id: string | null;
}

export interface ChangeNotice {
  /** The workspace of the rows; null for account-scope events (then `accountId` is set). */
  workspaceId: string | null;
  /** Set on `events` notices: the account the rows belong to. */
  accountId?: string;
  stream: StreamName;
  /** Every row of the stream with `seq <= maxSeq` is committed. */
  maxSeq: number;
}

/**
 * Tells live subscribers that new rows were committed — through any instance sharing the database
 * (PostgreSQL: LISTEN/NOTIFY; SQLite: in-process). Notices carry only positions, never rows:
 * subscribers read the rows themselves, so nothing is lost when notices are coalesced.
 */
export interface ChangeFeed {
  /** Announces committed rows; call after the commit. */
  notify(notice: ChangeNotice): Promise<void>;
  /** Listens to notices from every instance (this one included); returns the unsubscribe function. */
  subscribe(listener: (notice: ChangeNotice) => void): () => void;
}

/**
 * Queued log downloads (`domain/management/downloads.ts`). Workers on any instance take jobs by
 * lease: a job whose worker died (lease ran out) is taken again and written from its first chunk.
 */
export interface DownloadStore {
  /**
   * Queues `job` unless the run already has an unfinished job (that one is returned, `created`
   * false). Rejects with `too_many_jobs` when the workspace already has `maxUnfinished` of them.
   */
  enqueue(
    workspaceId: string,
    job: NewDownload,
    maxUnfinished: number,
  ): Promise<{ job: DownloadJob; created: boolean }>;
  get(workspaceId: string, id: string): Promise<DownloadJob | undefined>;
  /** Newest first (created, then id), with the exact number matching. */
  list(
    workspaceId: string,
    query: { statuses?: DownloadStatus[]; flowRunId?: string; limit: number; offset: number },
  ): Promise<{ rows: DownloadJob[]; total: number }>;
  /** Deletes the job and its file; false when there is no such job. */
  delete(workspaceId: string, id: string): Promise<boolean>;
  /**
   * Leases the oldest queued job, or a running one whose lease ran out (its chunks are dropped),
   * to `owner` until `until`, marking it running. Undefined when there is nothing to do.
   */
  claim(owner: string, now: Micros, until: Micros): Promise<(DownloadJob & { workspaceId: string }) | undefined>;
  /** Stores chunk `n` of the file and extends the lease; false when `owner` no longer holds it. */
  writeChunk(id: string, owner: string, n: number, data: Uint8Array, until: Micros): Promise<boolean>;
  /** Ends the job: completed with its figures, or failed with an error; false when the lease was lost. */
  finish(
    id: string,
    owner: string,
    outcome: { rowCount: number; sizeBytes: number; completed: Micros; expires: Micros } | { error: string },
  ): Promise<boolean>;
  /** The file's chunks in order (a completed job's). */
  chunks(workspaceId: string, id: string): AsyncGenerator<Uint8Array>;
  /** Marks completed jobs whose `expires` has passed as expired and drops their files; returns how many. */
  expire(now: Micros): Promise<number>;
}

/**
 * Retention (ADR 42): per-workspace settings, the record of the last sweep, and the bounded
 * deletions a sweep is made of. Each deletion is one short transaction that also corrects what was
 * derived from the removed rows, so a sweep stopped anywhere (SIGKILL included) leaves a
 * consistent store and the next sweep continues.
 */
export interface RetentionStore {
  /** The workspace's own settings; undefined when it has none (the flags apply). */
  settings(workspaceId: string): Promise<WorkspaceRetention | undefined>;
  /** Replaces the workspace's settings (a kind set to null follows the flags again). */
  setSettings(workspaceId: string, settings: WorkspaceRetention): Promise<void>;
  lastSweep(workspaceId: string): Promise<SweepRecord | undefined>;
  recordSweep(workspaceId: string, sweep: SweepRecord): Promise<void>;
  /**
   * Runs `fn` holding the sweep lock (PostgreSQL: a session advisory lock, shared by every instance;
   * SQLite: this process). Resolves undefined at once, without running `fn`, when a sweep holds it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T | undefined>;
  /**
   * Deletes up to `limit` of the workspace's logs with `timestamp < before`, oldest first, in one
   * transaction: the text index, per-run counters (count, highest `seq`, warnings, errors) and
   * logger statistics (workspace and per run: counts, first and last seen; a logger without logs
   * disappears) follow. Returns how many went.
   */
  deleteLogs(workspaceId: string, before: Micros, limit: number): Promise<number>;
  /** How many of the workspace's logs have `timestamp < before`. */
  countLogs(workspaceId: string, before: Micros): Promise<number>;
  /**
   * Deletes up to `limit` of the owner's events of `group` (a workspace's, or an account's own
   * account-level events), oldest first, in one transaction:
   * the hourly rollup rows they fed drop (a surviving row's first/last `occurred` read again),
   * per-run event counters drop, and tags still in the index get their count and first/last seen recomputed (a
   * tag without remaining events disappears; a deleted tag stays deleted). Returns how many went.
   */
  deleteEvents(owner: EventOwner, group: EventGroup, limit: number): Promise<number>;
  /** How many of the owner's events `deleteEvents` would remove with no limit. */
  countEvents(owner: EventOwner, group: EventGroup): Promise<number>;
  /**
   * Traces (their root flow run ids) whose root is a flow run in a terminal state and whose every
   * span ended (or, without an end, last changed state) before `before`; at most `limit`.
   */
  expiredTraces(workspaceId: string, before: Micros, limit: number): Promise<string[]>;
  /**
   * Traces of OpenTelemetry spans only whose every span ended before `before` (their trace ids);
   * at most `limit`.
   */
  expiredOtelTraces(workspaceId: string, before: Micros, limit: number): Promise<string[]>;
  /**
   * Deletes an OTel-only trace in one transaction: its spans, the OTel spans they were made from
   * and their links. Returns how many spans went; 0, deleting nothing, when a run has joined it.
   */
  deleteOtelTrace(workspaceId: string, traceId: string): Promise<number>;
  /**
   * Forgets up to `limit` of the workspace's OTLP log ids (ADR 41) recorded before `before` (when
   * their records arrived), oldest first: exporters retry within minutes, and ids kept past the
   * log setting would only grow the table. Returns how many went.
   */
  forgetOtelLogIds(workspaceId: string, before: Micros, limit: number): Promise<number>;
  /**
   * Engines that store `kind` in time partitions (PostgreSQL: logs and events by day, ADR 43)
   * detach and drop every partition that ends at or before `before` — no row deletes — after
   * correcting what was derived from its rows, one transaction per partition. Rows of every
   * workspace (and account-scope events) in those partitions go: the caller passes the cutoff of
   * the longest retention in force. Returns how many partitions went and the rows per workspace id
   * (`''` for account-scope events). Engines without partitions (SQLite) remove nothing.
   */
  dropExpiredPartitions(
    kind: 'logs' | 'events',
    before: Micros,
  ): Promise<{ partitions: number; rows: Map<string, number> }>;
  /** Creates the time partitions of the next days ahead of the writes that need them (PostgreSQL). */
  prepareAhead(now: Micros): Promise<void>;
  /**
   * Gives the space freed by deletions back to the file system, for a database no server is using:
   * SQLite drops the text index entries of deleted logs and VACUUMs both files. PostgreSQL rejects
   * with `invalid_input` (autovacuum reuses freed space; dropped partitions free it at once).
   */
  compact(): Promise<void>;
}

/**
 * Webhook rules and their deliveries (issue 25, ADR 44).
 *
 * A rule's `position` is an event `seq`: every matching event at or below it is in the delivery
 * log, so advancing it and queueing the deliveries happen in one transaction. A rule is delivered
 * by one instance at a time, the holder of its lease; the writes of the delivery worker name the
 * owner and do nothing once another instance took the lease over.
 */
export interface WebhookStore {
  /** Stores a rule (its id is new: a UUID the caller made). */
  create(workspaceId: string, rule: NewWebhook): Promise<Webhook>;
  get(workspaceId: string, id: string): Promise<Webhook | undefined>;
  /** The workspace's rules, oldest first. */
  list(workspaceId: string): Promise<Webhook[]>;
  /** Deletes a rule with its delivery log; false when there is no such rule. */
  delete(workspaceId: string, id: string): Promise<boolean>;
  /**
   * Leases to `owner` until `until` every rule that is free, whose lease ran out before `now`, or
   * that `owner` holds already, and returns the rules `owner` now holds (every workspace).
   */
  claim(owner: string, now: Micros, until: Micros): Promise<Webhook[]>;
  /** Gives up `owner`'s leases (on shutdown), so another instance continues at once. */
  release(owner: string): Promise<void>;
  /**
   * Queues deliveries (an event already in the rule's log is skipped) and moves the rule's
   * position to `position`, in one transaction; false, writing nothing, when `owner` does not hold
   * the rule's lease (or the rule is gone).
   */
  enqueue(id: string, owner: string, deliveries: NewDelivery[], position: number): Promise<boolean>;
  /** How many of the rule's deliveries are neither delivered nor given up. */
  pendingCount(id: string): Promise<number>;
  /** Deliveries of the rule due at `now` (next attempt ≤ now), earliest first, at most `limit`. */
  due(id: string, now: Micros, limit: number): Promise<PendingDelivery[]>;
  /**
   * Records an attempt's outcome (a finished delivery drops its body); false when `owner` does not
   * hold the rule's lease.
   */
  record(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  /** The rule's delivery log, newest event first, at most `limit` after skipping `offset`. */
  deliveries(workspaceId: string, id: string, page: { limit: number; offset: number }): Promise<WebhookDelivery[]>;
}

/**
 * For `sightline migrate` (ADR 45): a raw export, in the engine-neutral shapes of
 * `domain/migration.ts`, and an idempotent import of every stored record, keeping ids, times,
 * sequence numbers and counters. Only the migration writes records this way.
 */
export interface MigrationStore {
  /**
   * Up to `limit` records of `kind` in key order, starting strictly after the key `after` (its
   * values in the kind's key order; undefined starts at the first).
   */
  exportBatch(kind: KindName, after: MigrationValue[] | undefined, limit: number): Promise<MigrationRecord[]>;
  /**
   * Stores records exported by another store, as they are, in one transaction; records whose key
   * is already stored are skipped (so a resumed copy doubles nothing). Returns how many were new.
   */
  importBatch(kind: KindName, records: MigrationRecord[]): Promise<number>;
  /** The highest key stored for `kind` (where a resumed copy continues), undefined when none. */
  lastKey(kind: KindName): Promise<MigrationValue[] | undefined>;
  /** How many records of `kind` are stored. */
  count(kind: KindName): Promise<number>;
  /**
   * After an import: moves the engine's own counters (sequences, identity keys) past the imported
   * values, so that new writes continue after them.
   */
  finishImport(): Promise<void>;
  /** The id of the store this one was migrated from (recorded by `markSource`), if any. */
  source(): Promise<string | undefined>;
  markSource(id: string): Promise<void>;
}

/** What operators watch about the database itself (readiness and `/metrics`), read on demand. */
export interface StoreHealth {
  /**
   * What keeps the database from serving, one sentence each (unreachable, migrations pending or
   * from a newer Sightline); empty when it is ready. Never throws.
   */
  problems(): Promise<string[]>;
  /** Bytes the database takes: SQLite's files (main, WAL, text index), PostgreSQL's `pg_database_size`. */
  sizeBytes(): Promise<number>;
  /** The connection pool's use; undefined for an engine without a pool (SQLite). */
  pool(): { total: number; idle: number; waiting: number } | undefined;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly health: StoreHealth;
  readonly tenancy: TenancyStore;
  readonly keys: KeyStore;
  readonly logs: LogStore;
  readonly traces: TraceStore;
  readonly events: EventStore;
  readonly tags: TagStore;
  readonly flows: FlowStore;
  readonly flowRuns: FlowRunStore;
  readonly taskRuns: TaskRunStore;
  readonly artifacts: ArtifactStore;
  readonly spans: SpanStore;
  readonly otel: OtelStore;
  readonly downloads: DownloadStore;
  readonly retention: RetentionStore;
  readonly webhooks: WebhookStore;
  readonly changes: ChangeFeed;
  /** Raw export and import for `sightline migrate` (`MigrationStore`). */
  readonly migration: MigrationStore;
  /**
   * How many write transactions the engine runs well at once: group commit keeps up to this many
   * flushes in flight under load. Absent = 1 (SQLite: one writer).
   */
  readonly writeConcurrency?: number;
  /** Flushes and closes; safe to call twice. */
  close(): Promise<void>;
}
