/**
 * The web UI's reads of a run's logs that Prefect's routes do not offer: counters of many runs at
 * once (the runs list), a level histogram over one run, and where one log sits in a filtered list
 * (deep links, "first error").
 */
import { AppError, notFound } from '../../domain/errors.ts';
import type { LogFilter, LogRow, LogSort } from '../../domain/logs.ts';
import { LEVEL_CLASSES, type LevelClass, levelClass } from '../../domain/run-log-views.ts';
import { datetime, formatMicros } from '../../domain/time.ts';
import { array, int, named, num, object, orNull, record, str } from '../../lib/schema.ts';
import { type OpContext, type Services, storeOf } from '../context.ts';
import type { ExportFormat } from '../logs/export-logs.ts';
import { signToken, tokenKey, verifyToken } from '../signed-token.ts';

type RunLogFilter = Pick<LogFilter, 'level' | 'loggers' | 'task_run_id' | 'timestamp'>;

const count = () => int({ min: 0 });
const levelCounts = object(Object.fromEntries(LEVEL_CLASSES.map((c) => [c, count()])));

/** What `runLogCounts` answers: run id → its counters. */
export const runLogCountsSchema = record(
  named('RunLogCounts', object({ logs: count(), warnings: count(), errors: count() })),
);
/** What `runLogHistogram` answers. */
export const runLogHistogramSchema = named(
  'RunLogHistogram',
  object({ start: orNull(datetime()), interval_seconds: num(), buckets: array(levelCounts), totals: levelCounts }),
);
/** What `runLogPosition` answers. */
export const runLogPositionSchema = object({ offset: count(), timestamp: datetime() });
/** What a download link is: the URL (relative to the server) and its expiry. */
export const downloadLinkSchema = object({ url: str(), expires: datetime() });

/** `{run id: {logs, warnings, errors}}` from the counters kept at ingest (no counting). */
export async function runLogCounts(
  ctx: OpContext,
  ids: string[],
): Promise<Record<string, { logs: number; warnings: number; errors: number }>> {
  const stats = await storeOf(ctx.services).logs.runStatsMany(ctx.workspace.id, ids);
  const out: Record<string, { logs: number; warnings: number; errors: number }> = {};
  for (const id of ids) {
    const s = stats.get(id);
    out[id] = { logs: s?.count ?? 0, warnings: s?.warnings ?? 0, errors: s?.errors ?? 0 };
  }
  return out;
}

/** A page of the run's logs matching the filter (text included), at any offset. */
export function runLogPage(
  ctx: OpContext,
  runId: string,
  q: { logs?: RunLogFilter & Pick<LogFilter, 'text'>; sort: LogSort; offset: number; limit: number },
): Promise<LogRow[]> {
  return storeOf(ctx.services).logs.filter(ctx.workspace.id, {
    filter: runFilter(runId, q.logs),
    sort: q.sort,
    offset: q.offset,
    limit: q.limit,
  });
}

const runFilter = (runId: string, f: RunLogFilter & Pick<LogFilter, 'text'> = {}): LogFilter => ({
  operator: 'and_',
  ...f,
  flow_run_id: { any_: [runId] },
});

/** The run's matching logs in `buckets` equal intervals, counted per level class, with totals. */
export async function runLogHistogram(
  ctx: OpContext,
  runId: string,
  filter: RunLogFilter | undefined,
  buckets: number,
) {
  const h = await storeOf(ctx.services).logs.levelHistogram(ctx.workspace.id, runFilter(runId, filter), buckets);
  const empty = () => Object.fromEntries(LEVEL_CLASSES.map((c) => [c, 0])) as Record<LevelClass, number>;
  const totals = empty();
  const counts = Array.from({ length: h.start === undefined ? 0 : buckets }, empty);
  for (const r of h.rows) {
    const c = levelClass(r.level);
    counts[Math.min(r.bucket, buckets - 1)][c] += r.count;
    totals[c] += r.count;
  }
  return {
    start: h.start === undefined ? null : formatMicros(h.start),
    interval_seconds: h.interval / 1_000_000,
    buckets: counts,
    totals,
  };
}

/**
 * Where a log of the run sits among the run's logs matching the filter, in `sort` order: the
 * number of matching logs strictly before its timestamp (logs sharing its timestamp may come
 * first; the viewer finds it within the page it reads from there).
 */
export async function runLogPosition(
  ctx: OpContext,
  runId: string,
  logId: string,
  filter: RunLogFilter | undefined,
  sort: LogSort,
): Promise<{ offset: number; timestamp: string }> {
  const store = storeOf(ctx.services);
  const log = await store.logs.getInRun(ctx.workspace.id, runId, logId);
  if (!log) throw notFound('Log');
  const f = runFilter(runId, filter);
  const before =
    sort === 'TIMESTAMP_ASC'
      ? { ...f.timestamp, before_: log.timestamp - 1 }
      : { ...f.timestamp, after_: log.timestamp + 1 };
  const offset = await store.logs.count(ctx.workspace.id, { ...f, timestamp: before });
  return { offset, timestamp: formatMicros(log.timestamp) };
}

/** A download link lives five minutes: long enough to start, short enough to leak little. */
export const DOWNLOAD_LINK_TTL_MS = 5 * 60_000;
const DOWNLOAD_KIND = 'log-download';

interface LinkPayload {
  account: string;
  ws: string;
  run: string;
  format: ExportFormat;
}

/**
 * A signed token to download a run's logs without a key (a browser cannot put one on a link):
 * it names the workspace, the run and the format, and expires in five minutes.
 */
export function signDownloadLink(
  ctx: OpContext,
  runId: string,
  format: ExportFormat,
): { token: string; expires: string } {
  const exp = Date.now() + DOWNLOAD_LINK_TTL_MS;
  const payload: LinkPayload = { account: ctx.workspace.accountId, ws: ctx.workspace.id, run: runId, format };
  const token = signToken(tokenKey(ctx.services), { ...payload }, { kind: DOWNLOAD_KIND, expiresAt: exp });
  return { token, expires: new Date(exp).toISOString() };
}

/** What a valid download token opens: its workspace's context, the run and the format (403 otherwise). */
export async function openDownloadLink(
  services: Services,
  token: string,
): Promise<{ ctx: OpContext; runId: string; format: ExportFormat }> {
  const p = verifyToken<LinkPayload>(tokenKey(services), token, DOWNLOAD_KIND);
  const workspace = p && (await storeOf(services).tenancy.getWorkspace(p.account, p.ws));
  if (!p || !workspace)
    throw new AppError('forbidden', 'This download link is not valid (links expire after 5 minutes).');
  return { ctx: { services, workspace, family: 'cloud' }, runId: p.run, format: p.format };
}
