/** The row of a queued download as both engines store it. */
import type { DownloadJob, DownloadStatus } from '../../domain/management/downloads.ts';

export type DownloadRow = Record<string, unknown>;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function toDownload(r: DownloadRow): DownloadJob {
  return {
    id: r.id as string,
    flowRunId: r.flow_run_id as string,
    runName: r.run_name as string,
    format: 'csv',
    status: r.status as DownloadStatus,
    created: Number(r.created),
    completed: num(r.completed),
    rowCount: num(r.row_count),
    sizeBytes: num(r.size_bytes),
    error: (r.error ?? null) as string | null,
    snapshotSeq: Number(r.snapshot_seq),
    expires: num(r.expires),
  };
}

export const DOWNLOAD_COLUMNS =
  'id, flow_run_id, run_name, format, status, created, completed, row_count, size_bytes, error, snapshot_seq, expires';

export function tooManyJobs(max: number): string {
  return `This workspace already has ${max} downloads queued or running; try again when one has finished`;
}
