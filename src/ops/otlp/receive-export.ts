/**
 * The receiver of an OTLP export (traces, logs, metrics) for a workspace: what is stored, and what
 * is left out and why (`partial_success`). Resolves once what is stored is committed.
 */
import { logProblem, type OtlpExport, type PartialSuccess, Rejections, spanProblem } from '../../domain/otlp/model.ts';
import type { OpContext } from '../context.ts';

export const METRICS_NOT_STORED = 'Sightline does not store metrics';

/** How many items an export writes (they count against `--rate-limit-items`). */
export function exportItems(e: OtlpExport): number {
  return e.signal === 'traces' ? e.spans.length : e.signal === 'logs' ? e.records.length : 0;
}

/** What the export left out, or undefined when everything was stored. */
export async function receiveExport(_ctx: OpContext, e: OtlpExport): Promise<PartialSuccess | undefined> {
  if (e.signal === 'metrics')
    return e.dataPoints ? { rejected: e.dataPoints, errorMessage: METRICS_NOT_STORED } : undefined;
  const rejections = new Rejections();
  if (e.signal === 'traces') {
    e.spans.forEach((s, i) => {
      rejections.add(spanProblem(s) ?? 'Sightline does not store OTLP spans yet', i);
    });
    return rejections.count ? rejections.result('span') : undefined;
  }
  e.records.forEach((r, i) => {
    rejections.add(logProblem(r) ?? 'Sightline does not store OTLP log records yet', i);
  });
  return rejections.count ? rejections.result('log record') : undefined;
}
