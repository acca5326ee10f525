/**
 * The receiver of an OTLP export (traces, logs, metrics) for a workspace: what is stored, and what
 * is left out and why (`partial_success`). Resolves once what is stored is committed.
 */
import {
  logProblem,
  type OtlpExport,
  type OtlpLogRecord,
  type PartialSuccess,
  Rejections,
  spanProblem,
} from '../../domain/otlp/model.ts';
import { otelSpanRow } from '../../domain/otlp/spans.ts';
import type { OtelSpanItem } from '../../ingest/otel-writer.ts';
import type { OpContext } from '../context.ts';
import { receiveLogRecords } from './receive-logs.ts';

export const METRICS_NOT_STORED = 'Sightline does not store metrics';

/** How many items an export writes (they count against `--rate-limit-items`). */
export function exportItems(e: OtlpExport): number {
  return e.signal === 'traces' ? e.spans.length : e.signal === 'logs' ? e.records.length : 0;
}

/** What the export left out, or undefined when everything was stored. */
export async function receiveExport(ctx: OpContext, e: OtlpExport): Promise<PartialSuccess | undefined> {
  if (e.signal === 'metrics')
    return e.dataPoints ? { rejected: e.dataPoints, errorMessage: METRICS_NOT_STORED } : undefined;
  const rejections = new Rejections();
  if (e.signal === 'traces') {
    const items: (OtelSpanItem & { index: number })[] = [];
    e.spans.forEach((s, index) => {
      const problem = spanProblem(s);
      if (problem) rejections.add(problem, index);
      else items.push({ workspaceId: ctx.workspace.id, row: otelSpanRow(s), index });
    });
    await ctx.services.otelWriter.add(items);
    for (const item of items) if (item.rejected) rejections.add('span id is already used by another trace', item.index);
    return rejections.count ? rejections.result('span') : undefined;
  }
  const valid: OtlpLogRecord[] = [];
  e.records.forEach((r, i) => {
    const problem = logProblem(r);
    if (problem) rejections.add(problem, i);
    else valid.push(r);
  });
  await receiveLogRecords(ctx, valid);
  return rejections.count ? rejections.result('log record') : undefined;
}
