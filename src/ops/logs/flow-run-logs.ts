/**
 * `GET /flow_runs/{id}/logs`: one page of a flow run's logs, with query parameters in place of a
 * `LogFilter`, and a validator for conditional requests.
 *
 * The ETag is `"<run log count>-<max seq>-<query hash>"`, read from the per-run counters the
 * store maintains at ingest (no counting per request). Logs are append-only, so the pair changes
 * exactly when the run gains a log; the hash makes each distinct query its own validator. The
 * counters are read before the page, so a log landing in between can only make the validator
 * older than the body (one extra 200 later), never a stale 304.
 */
import { createHash } from 'node:crypto';
import { uuid } from '../../domain/ids.ts';
import { LOG_LIMIT_DEFAULT, LOG_LIMIT_MAX, type LogFilter, type LogRow, logSortSchema } from '../../domain/logs.ts';
import { TEXT_QUERY_MAX } from '../../domain/text-query.ts';
import { datetime } from '../../domain/time.ts';
import { bool, commaList, type Infer, int, object, optional, str } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';

export const flowRunLogsQuerySchema = object(
  {
    level_ge: optional(int({ min: 0 })),
    level_le: optional(int({ min: 0 })),
    offset: optional(int({ min: 0 }), () => 0),
    sort: optional(logSortSchema, () => 'TIMESTAMP_ASC' as const),
    since: optional(datetime().describe('Only include logs with a timestamp at or after this time')),
    until: optional(datetime().describe('Only include logs with a timestamp at or before this time')),
    task_runs: optional(commaList(uuid()).describe('Comma-separated list of task run IDs to filter by')),
    task_runs_is_null: optional(bool().describe('If true, only include logs without a task run ID')),
    loggers: optional(commaList(str()).describe('Comma-separated list of logger names to filter by')),
    text_query: optional(
      str({ max: TEXT_QUERY_MAX }).describe('Text search query string (the grammar of LogFilter.text)'),
    ),
    limit: optional(int({ min: 1, max: LOG_LIMIT_MAX }), () => LOG_LIMIT_DEFAULT),
  },
  // Query strings carry whatever else a client or proxy adds; FastAPI ignores unknown parameters.
  { extra: 'ignore' },
);
export type FlowRunLogsInput = Infer<typeof flowRunLogsQuerySchema>;

export function flowRunLogFilter(flowRunId: string, q: FlowRunLogsInput): LogFilter {
  const f: LogFilter = { operator: 'and_', flow_run_id: { any_: [flowRunId] } };
  if (q.level_ge !== undefined || q.level_le !== undefined) f.level = { ge_: q.level_ge, le_: q.level_le };
  if (q.since !== undefined || q.until !== undefined) f.timestamp = { after_: q.since, before_: q.until };
  if (q.task_runs !== undefined || q.task_runs_is_null !== undefined)
    f.task_run_id = { any_: q.task_runs, is_null_: q.task_runs_is_null };
  if (q.loggers !== undefined) f.loggers = { any_: q.loggers };
  if (q.text_query !== undefined) f.text = { query: q.text_query };
  return f;
}

export interface FlowRunLogsPage {
  etag: string;
  /** Undefined when the caller's validator still matches (answer 304). */
  rows?: LogRow[];
}

function queryHash(q: FlowRunLogsInput): string {
  const canonical = JSON.stringify(
    Object.keys(q)
      .sort()
      .map((k) => [k, q[k as keyof FlowRunLogsInput]]),
  );
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

export async function flowRunLogs(
  ctx: OpContext,
  flowRunId: string,
  q: FlowRunLogsInput,
  /** Whether the client already holds the page with this ETag (then no rows are read). */
  fresh: (etag: string) => boolean = () => false,
): Promise<FlowRunLogsPage> {
  const store = storeOf(ctx.services);
  const stats = await store.logs.runStats(ctx.workspace.id, flowRunId);
  const etag = `"${stats?.count ?? 0}-${stats?.maxSeq ?? 0}-${queryHash(q)}"`;
  if (fresh(etag)) return { etag };
  // A run without logs has nothing to read.
  if (!stats) return { etag, rows: [] };
  const rows = await store.logs.filter(ctx.workspace.id, {
    filter: flowRunLogFilter(flowRunId, q),
    sort: q.sort,
    limit: q.limit,
    offset: q.offset,
  });
  return { etag, rows };
}
