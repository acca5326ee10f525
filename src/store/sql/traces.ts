/**
 * Trace membership from the span projection, for every SQL engine. The flow runs of `traceId` are
 * the run itself and every flow-run span beneath it (its path passes through it): for a root,
 * every subflow of its trace; for a subflow, the subflows under it. The run counts even when it is
 * not recorded (yet): its logs may arrive first.
 */
import type { TraceStore } from '../contract.ts';
import type { SqlReader } from './run-reads.ts';

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
}
