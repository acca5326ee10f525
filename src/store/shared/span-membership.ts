/** Which flow runs belong to a trace, from the flow-run spans of its trace (every engine). */

/** At most this many flow runs of one trace are considered. */
export const FLOW_RUNS_OF_TRACE_MAX = 10_000;

/**
 * `runId` first, then every flow-run span whose path passes through it, in span order. `rows` are
 * the flow-run spans of `runId`'s trace with their stored (JSON text) paths.
 */
export function flowRunsBeneath(runId: string, rows: { span_id: string; path: string }[]): string[] {
  const out = [runId];
  for (const r of rows)
    if (r.span_id !== runId && (JSON.parse(r.path) as string[]).includes(runId)) out.push(r.span_id);
  return out;
}
