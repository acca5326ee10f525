/** Which run an OTel span belongs to (`OtelStore.runsOfSpans`), from rows every engine reads alike. */
import type { NewLog } from '../../domain/logs.ts';
import type { SpanRuns } from '../contract.ts';

const OTEL_ID_PREFIX = '00000000-0000-0000-';

/** The nearest run among a span's ancestors (`path`, root first): the last id that is not an OTel span's. */
export function nearestRun(path: string[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) if (!path[i].startsWith(OTEL_ID_PREFIX)) return path[i];
  return undefined;
}

/**
 * Joins the pieces: `linked` (OTel span → run it stands for), `placed` (an `otel` span → its path),
 * `taskFlow` (task run → its flow run) and `flowRuns` (ids that are flow runs).
 */
export function spanRuns(
  spanIds: string[],
  linked: Map<string, string>,
  placed: Map<string, string[]>,
  taskFlow: Map<string, string | null>,
  flowRuns: Set<string>,
): Map<string, SpanRuns> {
  const out = new Map<string, SpanRuns>();
  for (const id of spanIds) {
    const run = linked.get(id) ?? nearestRun(placed.get(id) ?? []);
    if (run === undefined) continue;
    if (taskFlow.has(run)) out.set(id, { flow_run_id: taskFlow.get(run) ?? null, task_run_id: run });
    else if (flowRuns.has(run)) out.set(id, { flow_run_id: run, task_run_id: null });
  }
  return out;
}

/** The runs `spanRuns` needs to look up. */
export function candidateRuns(linked: Map<string, string>, placed: Map<string, string[]>): string[] {
  const runs = new Set(linked.values());
  for (const path of placed.values()) {
    const r = nearestRun(path);
    if (r) runs.add(r);
  }
  return [...runs];
}

/** The spans that records waiting for one name, per workspace key (the first step of `settleWaiting`). */
export function waitedSpans(logs: NewLog[], keyOf: (l: NewLog) => number): Map<number, string[]> {
  const spans = new Map<number, string[]>();
  for (const l of logs) {
    if (!l.otlp?.waitFor) continue;
    const ids = spans.get(keyOf(l));
    if (ids) ids.push(l.otlp.waitFor.spanId);
    else spans.set(keyOf(l), [l.otlp.waitFor.spanId]);
  }
  return spans;
}

/** The logs to store: a waiting record whose span has joined a run (`runs`, per workspace key) takes that run instead. */
export function settled(
  logs: NewLog[],
  keyOf: (l: NewLog) => number,
  runs: Map<number, Map<string, SpanRuns>>,
): NewLog[] {
  return logs.map((l) => {
    const run = l.otlp?.waitFor && runs.get(keyOf(l))?.get(l.otlp.waitFor.spanId);
    return run ? { ...l, ...run, otlp: {} } : l;
  });
}
