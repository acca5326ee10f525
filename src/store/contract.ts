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
import type { Account, Workspace } from '../domain/tenancy.ts';
import type { LogQuery, LogRow, NewLog } from '../domain/logs.ts';
import type { ObservedLogger, ObservedLoggerQuery } from '../domain/observed-loggers.ts';
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

export interface TenancyStore {
  /**
   * Creates the default account and workspace on first use and returns them; later calls (from
   * this or another instance on the same database) return the same ids.
   */
  ensureDefaults(): Promise<{ account: Account; workspace: Workspace }>;
  getAccount(accountId: string): Promise<Account | undefined>;
  /** The workspace with this id inside this account, or undefined. */
  getWorkspace(accountId: string, workspaceId: string): Promise<Workspace | undefined>;
  listWorkspaces(): Promise<Workspace[]>;
  /** Creates a workspace. Rejects with `conflict` when the handle is taken in the account. */
  createWorkspace(input: { accountId: string; name: string; handle: string; description: string | null }): Promise<Workspace>;
  /**
   * The secret that signs page tokens and cursors: created once, kept in the database so that
   * every instance on it accepts the others' tokens.
   */
  tokenSecret(): Promise<string>;
}

export interface LogStore {
  /**
   * Appends logs (any mix of workspaces) in one transaction and returns them with their `seq`,
   * in input order. `seq` increases with insertion order across the whole database. With several
   * concurrent writers (PostgreSQL) positions can commit out of order: only a `ChangeNotice`'s
   * `maxSeq` promises that nothing below it is still to come. PostgreSQL stores logs in day
   * partitions; retention will drop whole partitions (ADR 8).
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
   * Moves up to `maxRows` not-yet-indexed logs into the text index; returns how many it indexed.
   * Called by the background indexer, never on the acknowledgement path.
   */
  indexText(maxRows: number): Promise<number>;
  /** Number of stored logs not yet in the text index. */
  textIndexLag(): Promise<number>;
  /**
   * Counters of one flow run's logs, maintained by `append` in the same transaction (never a
   * count over the logs): how many there are and the highest `seq` among them. Undefined when
   * the run has no logs. Any append to the run changes the pair.
   */
  runStats(workspaceId: string, flowRunId: string): Promise<RunLogStats | undefined>;
  /**
   * Logger statistics, maintained by `append` in the same transaction: per logger name the number
   * of logs and the earliest and latest log `timestamp`. Over the whole workspace, or, with
   * `flowRunIds`, over the logs of those flow runs only (each name once, counts summed). Ordered
   * by `query.orderBy` (`LAST_SEEN_DESC` breaks ties by name ascending; names compare by code
   * point), at most `query.limit` entries; `query.prefix` keeps names starting with it (case-
   * sensitive). Empty when nothing matches.
   */
  observedLoggers(workspaceId: string, query: ObservedLoggerQuery & { flowRunIds?: string[] }): Promise<ObservedLogger[]>;
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
}

export interface RunLogStats {
  count: number;
  maxSeq: number;
}

export interface TraceStore {
  /**
   * The flow runs of a trace (its root flow run and every subflow run under it), whose logs are
   * the trace's logs. Until flow runs are recorded this is the root run alone: `[traceId]`.
   */
  flowRunIds(workspaceId: string, traceId: string): Promise<string[]>;
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
  runEvents(workspaceId: string, flowRunId: string, q: { withTaskRuns: boolean; order: EventOrder; offset: number; limit: number }): Promise<StoredEvent[]>;
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
  list(workspaceId: string, q: { search?: string; sort: TagSort; limit: number; offset: number }): Promise<{ results: TagRow[]; count: number }>;
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

/** A data stream whose new rows live subscribers follow. */
export type StreamName = 'logs' | 'events';

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

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly tenancy: TenancyStore;
  readonly logs: LogStore;
  readonly traces: TraceStore;
  readonly events: EventStore;
  readonly tags: TagStore;
  readonly changes: ChangeFeed;
  /**
   * How many write transactions the engine runs well at once: group commit keeps up to this many
   * flushes in flight under load. Absent = 1 (SQLite: one writer).
   */
  readonly writeConcurrency?: number;
  /** Flushes and closes; safe to call twice. */
  close(): Promise<void>;
}
