/**
 * `GET /flow_runs/{id}/logs/download`: every log of a flow run as CSV (Prefect's format) or plain
 * text, produced page by page through a keyset cursor so that memory stays flat whatever the
 * run's size, and pulled only as fast as the client reads.
 */

import { notFound } from '../../domain/errors.ts';
import { CSV_HEADER, csvLine, textLine } from '../../domain/log-export.ts';
import type { LogCursor, LogRow } from '../../domain/logs.ts';
import { literal } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { type FlowRunRef, findFlowRunForLogs } from './flow-run-ref.ts';

export const EXPORT_FORMATS = ['csv', 'text'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const exportFormatSchema = literal(EXPORT_FORMATS);

/** Prefect reads the run's logs 1000 at a time; a page is also one chunk of the response. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * All logs of a flow run in `TIMESTAMP_ASC` order, one page at a time; with `upToSeq`, only those
 * stored up to that position (a snapshot: logs arriving later are left out).
 */
export async function* flowRunLogPages(
  ctx: OpContext,
  flowRunId: string,
  pageSize = EXPORT_PAGE_SIZE,
  upToSeq = Number.POSITIVE_INFINITY,
): AsyncGenerator<LogRow[]> {
  const filter = { operator: 'and_' as const, flow_run_id: { any_: [flowRunId] } };
  let after: LogCursor | undefined;
  for (;;) {
    const rows = await storeOf(ctx.services).logs.filter(ctx.workspace.id, {
      filter,
      sort: 'TIMESTAMP_ASC',
      limit: pageSize,
      offset: 0,
      after,
    });
    const kept = upToSeq === Number.POSITIVE_INFINITY ? rows : rows.filter((r) => r.seq <= upToSeq);
    if (kept.length) yield kept;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { timestamp: last.timestamp, seq: last.seq };
  }
}

export interface LogExport {
  run: FlowRunRef;
  format: ExportFormat;
  /** The file's text, chunk by chunk (one chunk per page of logs). */
  chunks: AsyncGenerator<string>;
}

export async function* renderExport(pages: AsyncGenerator<LogRow[]>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  const line = format === 'csv' ? csvLine : (r: LogRow) => textLine(r);
  for await (const rows of pages) {
    let chunk = '';
    for (const r of rows) chunk += line(r);
    yield chunk;
  }
}

/** Rejects with 404 "Flow run not found" when the id names neither a flow run nor any logs. */
export async function exportFlowRunLogs(ctx: OpContext, flowRunId: string, format: ExportFormat): Promise<LogExport> {
  const run = await findFlowRunForLogs(ctx, flowRunId);
  if (!run) throw notFound('Flow run');
  return { run, format, chunks: renderExport(flowRunLogPages(ctx, flowRunId), format) };
}
