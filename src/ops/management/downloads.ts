/**
 * Queued log downloads: a job per file (`GET /api/v1/flow-runs/{id}/download`), written in the
 * background by a worker on any instance (`startDownloadWorker`), served from the store by any
 * instance. The file holds the run's logs committed when the job was queued, byte for byte what
 * `GET /flow_runs/{id}/logs/download` sends for them.
 */
import { AppError, notFound } from '../../domain/errors.ts';
import { uuid7 } from '../../domain/ids.ts';
import {
  type DownloadJob,
  type DownloadStatus,
  MAX_UNFINISHED_DOWNLOADS,
  renderDownload,
} from '../../domain/management/downloads.ts';
import { nowMicros } from '../../domain/time.ts';
import { type OpContext, type Services, storeOf } from '../context.ts';
import { flowRunLogPages, renderExport } from '../logs/export-logs.ts';
import { listedRun } from './runs.ts';

export async function queueDownload(ctx: OpContext, runId: string, base: string): Promise<Record<string, unknown>> {
  const run = await listedRun(ctx, runId);
  const store = storeOf(ctx.services);
  // Every log at or below this position is committed: the file's snapshot.
  const snapshotSeq = await store.logs.lastSeq();
  const { job } = await store.downloads.enqueue(
    ctx.workspace.id,
    { id: uuid7(), flowRunId: runId, runName: run.run.name, format: 'csv', created: nowMicros(), snapshotSeq },
    MAX_UNFINISHED_DOWNLOADS,
  );
  ctx.services.wakeDownloads?.();
  return renderDownload(job, base);
}

export async function listDownloads(
  ctx: OpContext,
  q: { statuses?: DownloadStatus[]; flowRunId?: string; perPage: number; offset: number },
  base: string,
): Promise<{ items: Record<string, unknown>[]; total: number }> {
  const { rows, total } = await storeOf(ctx.services).downloads.list(ctx.workspace.id, {
    statuses: q.statuses,
    flowRunId: q.flowRunId,
    limit: q.perPage,
    offset: q.offset,
  });
  return { items: rows.map((j) => renderDownload(j, base)), total };
}

async function job(ctx: OpContext, id: string): Promise<DownloadJob> {
  const j = await storeOf(ctx.services).downloads.get(ctx.workspace.id, id);
  if (!j) throw notFound('Download');
  return j;
}

export async function getDownload(ctx: OpContext, id: string, base: string): Promise<Record<string, unknown>> {
  return renderDownload(await job(ctx, id), base);
}

export async function deleteDownload(ctx: OpContext, id: string): Promise<void> {
  if (!(await storeOf(ctx.services).downloads.delete(ctx.workspace.id, id))) throw notFound('Download');
}

/** A finished file: its name and bytes. Not finished → 409, expired or failed → 410. */
export async function downloadFile(
  ctx: OpContext,
  id: string,
): Promise<{ name: string; chunks: AsyncGenerator<Uint8Array> }> {
  const j = await job(ctx, id);
  if (j.status === 'queued' || j.status === 'running')
    throw new AppError('download_not_ready', `The download is ${j.status}; ask again shortly`);
  if (j.status === 'expired') throw new AppError('gone', 'The download has expired; queue a new one');
  if (j.status === 'failed') throw new AppError('gone', `The download failed: ${j.error ?? 'unknown error'}`);
  return { name: `${j.runName}-logs.csv`, chunks: storeOf(ctx.services).downloads.chunks(ctx.workspace.id, id) };
}

/** Bytes per stored chunk of a file. */
const CHUNK_BYTES = 1024 * 1024;
/** A worker holds a job this long past its last chunk; a dead worker's job is taken again after it. */
const LEASE_MICROS = 30_000_000;
const IDLE_POLL_MS = 1000;

const RUN_GONE = 'The flow run no longer exists (deleted, or removed by retention), so its logs cannot be written';

/** Writes one claimed job's file; false when its lease was lost to another worker. */
async function writeFile(services: Services, owner: string, j: DownloadJob & { workspaceId: string }, ttl: number) {
  const store = storeOf(services);
  const workspace = (await store.tenancy.listWorkspaces()).find((w) => w.id === j.workspaceId);
  if (!workspace) return store.downloads.finish(j.id, owner, { error: 'The workspace no longer exists' });
  const ctx: OpContext = { services, workspace, family: 'oss' };
  // Retention (or a delete) may take the run before or while its file is written.
  const runGone = async () =>
    !(await store.flowRuns.get(j.workspaceId, j.flowRunId)) && store.downloads.finish(j.id, owner, { error: RUN_GONE });
  if (await runGone()) return true;
  const encoder = new TextEncoder();
  let parts: Uint8Array[] = [];
  let buffered = 0;
  let n = 0;
  let size = 0;
  let rows = 0;
  const flush = async () => {
    const data = Buffer.concat(parts);
    parts = [];
    buffered = 0;
    size += data.byteLength;
    return store.downloads.writeChunk(j.id, owner, n++, data, nowMicros() + LEASE_MICROS);
  };
  const pages = flowRunLogPages(ctx, j.flowRunId, undefined, j.snapshotSeq);
  async function* counted() {
    for await (const page of pages) {
      rows += page.length;
      yield page;
    }
  }
  for await (const text of renderExport(counted(), 'csv')) {
    const bytes = encoder.encode(text);
    parts.push(bytes);
    buffered += bytes.byteLength;
    if (buffered >= CHUNK_BYTES && !(await flush())) return false;
  }
  if ((buffered > 0 || n === 0) && !(await flush())) return false;
  if (await runGone()) return true;
  const completed = nowMicros();
  return store.downloads.finish(j.id, owner, { rowCount: rows, sizeBytes: size, completed, expires: completed + ttl });
}

/**
 * Works queued downloads one at a time until stopped: woken by `wake` when this instance queues
 * one, else polling for jobs queued elsewhere or left by a dead worker. Expired files are dropped
 * along the way.
 */
export function startDownloadWorker(services: Services, ttlSeconds: number): { wake(): void; stop(): Promise<void> } {
  const owner = uuid7();
  const ttl = ttlSeconds * 1_000_000;
  // Expired files are dropped within half their lifetime, and at least every 10 s.
  const expireEvery = Math.max(250, Math.min(10_000, (ttlSeconds * 1000) / 2));
  let stopped = false;
  let wake: (() => void) | undefined;
  let lastExpire = 0;
  const loop = (async () => {
    while (!stopped) {
      const store = storeOf(services);
      let worked = false;
      try {
        if (Date.now() - lastExpire > expireEvery) {
          lastExpire = Date.now();
          await store.downloads.expire(nowMicros());
        }
        const now = nowMicros();
        const j = await store.downloads.claim(owner, now, now + LEASE_MICROS);
        if (j) {
          worked = true;
          try {
            await writeFile(services, owner, j, ttl);
          } catch (err) {
            services.log.error({ err, download: j.id }, 'writing a log download failed');
            await store.downloads.finish(j.id, owner, { error: 'The file could not be written' });
          }
        }
      } catch (err) {
        if (!stopped) services.log.error({ err }, 'the download worker failed; retrying');
      }
      if (!worked && !stopped)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, IDLE_POLL_MS);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      wake = undefined;
    }
  })();
  return {
    wake: () => wake?.(),
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
