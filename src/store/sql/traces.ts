/**
 * Traces read whole, for every SQL engine: membership and light outlines. The flow runs of `traceId` are
 * the run itself and every flow-run span beneath it (its path passes through it): for a root,
 * every subflow of its trace; for a subflow, the subflows under it. The run counts even when it is
 * not recorded (yet): its logs may arrive first.
 */
import type { TaskRunOutline } from '../../domain/runs/task-runs.ts';
import type { SpanOutline } from '../../domain/spans/span.ts';
import type { TraceStore } from '../contract.ts';
import { taskRunOrder } from './run-filters.ts';
import type { SqlReader } from './run-reads.ts';
import { spanOrder } from './span-filters.ts';

/** At most this many flow runs of one trace are considered. */
const FLOW_RUNS_OF_TRACE_MAX = 10_000;

export class SqlTraces implements TraceStore {
  readonly #reads: SqlReader;

  constructor(reads: SqlReader) {
    this.#reads = reads;
  }

  async flowRunIds(workspaceId: string, traceId: string): Promise<string[]> {
    const ws = await this.#reads.key(workspaceId);
    if (ws === undefined) return [traceId];
    const p: unknown[] = [];
    const { param } = this.#reads.dialect;
    const sql = `SELECT s.span_id, s.path FROM spans s
      WHERE s.ws = ${param(p, ws)} AND s.span_type = 'flow-run'
        AND s.trace_id = COALESCE((SELECT trace_id FROM spans WHERE ws = ${param(p, ws)} AND span_id = ${param(p, traceId)}), ${param(p, traceId)})
      ORDER BY s.sort_start, s.span_id LIMIT ${FLOW_RUNS_OF_TRACE_MAX}`;
    const out = [traceId];
    // Paths are stored as JSON text on every engine (span-columns.ts).
    for (const r of await this.#reads.all(sql, p)) {
      const id = r.span_id as string;
      if (id !== traceId && (JSON.parse(r.path as string) as string[]).includes(traceId)) out.push(id);
    }
    return out;
  }

  async outline(workspaceId: string, traceId: string, limit: number): Promise<SpanOutline[]> {
    const ws = await this.#reads.key(workspaceId);
    if (ws === undefined) return [];
    const p: unknown[] = [];
    const { param } = this.#reads.dialect;
    const sql = `SELECT s.span_id, s.parent_span_id, s.depth, s.span_type, s.name, s.state_type, s.state_name,
        s.start_time, s.end_time FROM spans s
      WHERE s.ws = ${param(p, ws)} AND s.trace_id = ${param(p, traceId)} ORDER BY ${spanOrder(false)} LIMIT ${param(p, limit)}`;
    return (await this.#reads.all(sql, p)) as unknown as SpanOutline[];
  }

  async taskRunOutlines(workspaceId: string, flowRunId: string, limit: number): Promise<TaskRunOutline[]> {
    const ws = await this.#reads.key(workspaceId);
    if (ws === undefined) return [];
    const p: unknown[] = [];
    const { param } = this.#reads.dialect;
    const sql = `SELECT tr.id, tr.name, tr.task_key, tr.dynamic_key, tr.state_name, tr.run_count, tr.start_time, tr.end_time
      FROM task_runs tr WHERE tr.ws = ${param(p, ws)} AND tr.flow_run_id = ${param(p, flowRunId)}
      ORDER BY ${taskRunOrder('EXPECTED_START_TIME_ASC')} LIMIT ${param(p, limit)}`;
    return (await this.#reads.all(sql, p)) as unknown as TaskRunOutline[];
  }
}
