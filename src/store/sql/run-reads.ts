/**
 * The reads of flows, flow runs, task runs, artifacts and run states, written once for every SQL
 * engine: workspace key → WHERE (`run-filters.ts`) → ORDER → LIMIT/OFFSET → row decoding. An engine
 * supplies a `SqlReader`; its writes stay in the engine folder, where sync `node:sqlite` and async
 * `pg` transactions really differ.
 */
import type { ArtifactRow } from '../../domain/runs/artifacts.ts';
import type {
  ArtifactSort,
  FlowRunSort,
  FlowSort,
  RunFilterSet,
  RunQuery,
  TaskRunSort,
} from '../../domain/runs/filters.ts';
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { HistoryQuery, HistoryRow, RunCountColumn } from '../../domain/runs/history.ts';
import type { StateRow, StateType } from '../../domain/runs/states.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import type { StateChanges } from '../../domain/spans/state-changes.ts';
import { JOINED_STATE_COLUMNS, type Row, type RowDecoders } from '../shared/row-decoding.ts';
import type { SqlDialect } from './dialect.ts';
import {
  artifactOrder,
  artifactWhere,
  flowOrder,
  flowRunOrder,
  flowRunWhere,
  flowWhere,
  taskRunOrder,
  taskRunWhere,
} from './run-filters.ts';
import { readCountBy, readHistory } from './run-history.ts';

/** What the shared reads need of an engine. */
export interface SqlReader {
  readonly dialect: SqlDialect;
  readonly decode: RowDecoders;
  /** A workspace's internal key (`ws` in every data table); undefined when there is no such workspace. */
  key(workspaceId: string): number | undefined | Promise<number | undefined>;
  /** The rows of a read-only statement. */
  all(sql: string, params: unknown[]): Row[] | Promise<Row[]>;
}

/** The current state's columns as `s_<column>`, for a SELECT joining `flow_run_states s`. */
export const STATE_COLS = JOINED_STATE_COLUMNS.map((c) => `s."${c}" AS s_${c}`).join(', ');

/** A run with its current state joined in as `s_<column>` (decoded by `RowDecoders`). */
export const FLOW_RUN_SELECT = `SELECT fr.*, ${STATE_COLS} FROM flow_runs fr LEFT JOIN flow_run_states s ON s.ws = fr.ws AND s.id = fr.state_id`;
export const TASK_RUN_SELECT = `SELECT tr.*, ${STATE_COLS} FROM task_runs tr LEFT JOIN task_run_states s ON s.ws = tr.ws AND s.id = tr.state_id`;

/** One readable run table: how to select it, filter it and order it. */
export interface RunTable<S extends string, T> {
  /** `SELECT … FROM <table> <alias>` (joins included). */
  select: string;
  /** `<table> <alias>`, for counts. */
  from: string;
  alias: string;
  where(d: SqlDialect, filters: RunFilterSet, params: unknown[]): string | undefined;
  order(d: SqlDialect, query: RunQuery<S>, params: unknown[]): string;
  decode(dec: RowDecoders, row: Row): T;
}

export const FLOWS: RunTable<FlowSort, FlowRow> = {
  select: 'SELECT f.* FROM flows f',
  from: 'flows f',
  alias: 'f',
  where: flowWhere,
  order: (_d, q) => flowOrder(q.sort),
  decode: (dec, r) => dec.toFlow(r),
};

export const FLOW_RUNS: RunTable<FlowRunSort, FlowRunRow> = {
  select: FLOW_RUN_SELECT,
  from: 'flow_runs fr',
  alias: 'fr',
  where: flowRunWhere,
  order: (d, q, params) => flowRunOrder(d, q.sort, q.now, params),
  decode: (dec, r) => dec.toFlowRun(r),
};

export const TASK_RUNS: RunTable<TaskRunSort, TaskRunRow> = {
  select: TASK_RUN_SELECT,
  from: 'task_runs tr',
  alias: 'tr',
  where: taskRunWhere,
  order: (_d, q) => taskRunOrder(q.sort),
  decode: (dec, r) => dec.toTaskRun(r),
};

export const ARTIFACTS: RunTable<ArtifactSort, ArtifactRow> = {
  select: 'SELECT a.* FROM artifacts a',
  from: 'artifacts a',
  alias: 'a',
  where: artifactWhere,
  order: (_d, q) => artifactOrder(q.sort),
  decode: (dec, r) => dec.toArtifact(r),
};

/** `<alias>.ws = <key>` and the filters' conditions. */
function scoped<S extends string>(
  r: SqlReader,
  t: RunTable<S, unknown>,
  ws: number,
  filters: RunFilterSet,
  params: unknown[],
) {
  const own = `${t.alias}.ws = ${r.dialect.param(params, ws)}`;
  const where = t.where(r.dialect, filters, params);
  return where ? `${own} AND ${where}` : own;
}

/** One page of a table's rows matching the query, in its order (an unknown workspace has none). */
async function readPage<S extends string, T>(r: SqlReader, t: RunTable<S, T>, workspaceId: string, q: RunQuery<S>) {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return [];
  const params: unknown[] = [];
  const where = scoped(r, t, ws, q.filters, params);
  const order = t.order(r.dialect, q, params);
  const d = r.dialect;
  const sql = `${t.select} WHERE ${where} ORDER BY ${order} LIMIT ${d.param(params, q.limit)} OFFSET ${d.param(params, q.offset)}`;
  return (await r.all(sql, params)).map((row) => t.decode(r.decode, row));
}

/** How many of a table's rows match the filters. */
async function readCount<S extends string>(
  r: SqlReader,
  t: RunTable<S, unknown>,
  workspaceId: string,
  filters: RunFilterSet,
): Promise<number> {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return 0;
  const params: unknown[] = [];
  const where = scoped(r, t, ws, filters, params);
  const [row] = await r.all(`SELECT count(*) AS n FROM ${t.from} WHERE ${where}`, params);
  return Number(row?.n ?? 0);
}

/** One row of a table by id. */
async function readOne<S extends string, T>(
  r: SqlReader,
  t: RunTable<S, T>,
  workspaceId: string,
  id: string,
): Promise<T | undefined> {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return undefined;
  const params: unknown[] = [];
  const sql = `${t.select} WHERE ${t.alias}.ws = ${r.dialect.param(params, ws)} AND ${t.alias}.id = ${r.dialect.param(params, id)}`;
  const [row] = await r.all(sql, params);
  return row ? t.decode(r.decode, row) : undefined;
}

export type StateTable = 'flow_run_states' | 'task_run_states';

/** A run's states, oldest first. */
async function readStates(r: SqlReader, table: StateTable, workspaceId: string, runId: string): Promise<StateRow[]> {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return [];
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  const params: unknown[] = [];
  const sql = `SELECT * FROM ${table} WHERE ws = ${r.dialect.param(params, ws)} AND ${runCol} = ${r.dialect.param(params, runId)} ORDER BY "timestamp", id`;
  return (await r.all(sql, params)).map(r.decode.toState);
}

/**
 * The latest `perRun` states of each run (oldest first) with its number of states, in one
 * statement: the run index `(ws, run, timestamp)` serves every run of the list.
 */
async function readStateChanges(
  r: SqlReader,
  table: StateTable,
  workspaceId: string,
  runIds: string[],
  perRun: number,
): Promise<Map<string, StateChanges>> {
  const out = new Map<string, StateChanges>();
  const ws = await r.key(workspaceId);
  if (ws === undefined || runIds.length === 0) return out;
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  const params: unknown[] = [];
  const sql = `SELECT run_id, type, name, "timestamp", n FROM (
      SELECT ${runCol} AS run_id, type, name, "timestamp", id,
        ROW_NUMBER() OVER (PARTITION BY ${runCol} ORDER BY "timestamp" DESC, id DESC) AS latest,
        COUNT(*) OVER (PARTITION BY ${runCol}) AS n
      FROM ${table}
      WHERE ws = ${r.dialect.param(params, ws)} AND ${r.dialect.inList(runCol, runIds, params)}
    ) s WHERE latest <= ${r.dialect.param(params, perRun)} ORDER BY run_id, "timestamp", id`;
  for (const row of await r.all(sql, params)) {
    const id = row.run_id as string;
    let c = out.get(id);
    if (!c) out.set(id, (c = { states: [], total: Number(row.n) }));
    c.states.push({ type: row.type as StateType, name: row.name as string, timestamp: Number(row.timestamp) });
  }
  return out;
}

/** One state by id. */
async function readState(
  r: SqlReader,
  table: StateTable,
  workspaceId: string,
  stateId: string,
): Promise<StateRow | undefined> {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return undefined;
  const params: unknown[] = [];
  const sql = `SELECT * FROM ${table} WHERE ws = ${r.dialect.param(params, ws)} AND id = ${r.dialect.param(params, stateId)}`;
  const [row] = await r.all(sql, params);
  return row ? r.decode.toState(row) : undefined;
}

/** `get`, `filter` and `count` of a table's store, for an engine's store class to extend. */
export class TableReads<S extends string, T> {
  readonly #reads: SqlReader;
  readonly #table: RunTable<S, T>;

  constructor(reads: SqlReader, table: RunTable<S, T>) {
    this.#reads = reads;
    this.#table = table;
  }

  protected get reader(): SqlReader {
    return this.#reads;
  }

  protected get table(): RunTable<S, T> {
    return this.#table;
  }

  async get(workspaceId: string, id: string): Promise<T | undefined> {
    return readOne(this.#reads, this.#table, workspaceId, id);
  }

  async filter(workspaceId: string, query: RunQuery<S>): Promise<T[]> {
    return readPage(this.#reads, this.#table, workspaceId, query);
  }

  async count(workspaceId: string, filters: RunFilterSet): Promise<number> {
    return readCount(this.#reads, this.#table, workspaceId, filters);
  }
}

/** A run table's reads and its state history (`states`, `getState`). */
export class RunReads<S extends string, T> extends TableReads<S, T> {
  readonly #states: StateTable;

  constructor(reads: SqlReader, table: RunTable<S, T>, states: StateTable) {
    super(reads, table);
    this.#states = states;
  }

  async states(workspaceId: string, runId: string): Promise<StateRow[]> {
    return readStates(this.reader, this.#states, workspaceId, runId);
  }

  async getState(workspaceId: string, stateId: string): Promise<StateRow | undefined> {
    return readState(this.reader, this.#states, workspaceId, stateId);
  }

  async stateChanges(workspaceId: string, runIds: string[], perRun: number): Promise<Map<string, StateChanges>> {
    return readStateChanges(this.reader, this.#states, workspaceId, runIds, perRun);
  }

  async history(workspaceId: string, query: HistoryQuery): Promise<HistoryRow[]> {
    return readHistory(this.reader, this.table, workspaceId, query);
  }

  async countBy(workspaceId: string, filters: RunFilterSet, column: RunCountColumn): Promise<Map<string, number>> {
    return readCountBy(this.reader, this.table, workspaceId, filters, column);
  }
}
