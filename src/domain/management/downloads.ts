/**
 * Queued log downloads (`GET /api/v1/flow-runs/{id}/download`): a job per file, worked by one
 * instance at a time under a lease, its bytes kept in chunks behind the store so that any instance
 * serves the file.
 */
import { int, literal, named, object, orNull, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';
import { invalid, list, oneOf, onlySupported, paging, type RawQuery, uuidOf } from './params.ts';

export const DOWNLOAD_STATUSES = ['queued', 'running', 'completed', 'failed', 'expired'] as const;
export type DownloadStatus = (typeof DOWNLOAD_STATUSES)[number];
export const UNFINISHED: readonly DownloadStatus[] = ['queued', 'running'];

export interface DownloadJob {
  id: string;
  flowRunId: string;
  /** The run's name when the job was queued: the file is named after it. */
  runName: string;
  format: 'csv';
  status: DownloadStatus;
  created: Micros;
  completed: Micros | null;
  rowCount: number | null;
  sizeBytes: number | null;
  error: string | null;
  /** The file holds the run's logs with `seq` up to this (every one committed at queue time). */
  snapshotSeq: number;
  /** When a completed file stops being served (then `expired`). */
  expires: Micros | null;
}

export type NewDownload = Pick<DownloadJob, 'id' | 'flowRunId' | 'runName' | 'format' | 'created' | 'snapshotSeq'>;

/** Unfinished jobs a workspace may have at once. */
export const MAX_UNFINISHED_DOWNLOADS = 20;

/** The download job, as `renderDownload` writes it. */
export const downloadSchema = named(
  'LogDownload',
  object({
    id: uuid(),
    flow_run_id: uuid(),
    format: literal(['csv']),
    status: literal(DOWNLOAD_STATUSES),
    created_at: datetime(),
    completed_at: orNull(datetime()),
    row_count: orNull(int({ min: 0 })),
    size_bytes: orNull(int({ min: 0 })),
    error: orNull(str()),
    links: object({ self: str(), file: str() }),
  }),
);

export function renderDownload(job: DownloadJob, base: string): Record<string, unknown> {
  const self = `${base}/file-downloads/${job.id}`;
  return {
    id: job.id,
    flow_run_id: job.flowRunId,
    format: job.format,
    status: job.status,
    created_at: formatMicros(job.created),
    completed_at: formatNullable(job.completed),
    row_count: job.rowCount,
    size_bytes: job.sizeBytes,
    error: job.error,
    links: { self, file: `${self}/file` },
  };
}

export const DOWNLOAD_LIST_PARAMS = ['filter[status]', 'filter[flow_run_id]', 'page', 'per_page'] as const;

export function readDownloadListQuery(q: RawQuery) {
  onlySupported(q, DOWNLOAD_LIST_PARAMS);
  const flowRunIds = list(q, 'filter[flow_run_id]', uuidOf('filter[flow_run_id]'));
  if (flowRunIds && flowRunIds.length > 1)
    throw invalid('filter[flow_run_id]', 'takes one run id', flowRunIds.join(','));
  return {
    statuses: list(q, 'filter[status]', oneOf('filter[status]', DOWNLOAD_STATUSES)),
    flowRunId: flowRunIds?.[0],
    ...paging(q),
  };
}
