/**
 * PostgreSQL: queued log downloads and their files (`DownloadStore`). Instances share the jobs:
 * `claim` skips rows another worker has locked, and `enqueue` serialises per workspace (an
 * advisory transaction lock) so that two instances never queue two jobs for one run.
 */
import { AppError } from '../../domain/errors.ts';
import type { DownloadStatus, NewDownload } from '../../domain/management/downloads.ts';
import type { Micros } from '../../domain/time.ts';
import type { DownloadStore } from '../contract.ts';
import { DOWNLOAD_COLUMNS, type DownloadRow, toDownload, tooManyJobs } from '../shared/download-rows.ts';
import type { PgDb } from './db.ts';
import type { PgTenancy } from './tenancy.ts';

const UNFINISHED = "status IN ('queued', 'running')";
/** The advisory lock class of download queues (the second key is the workspace). */
const QUEUE_LOCK = 7_340_017;

export class PgDownloads implements DownloadStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async enqueue(workspaceId: string, job: NewDownload, maxUnfinished: number) {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return this.db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [QUEUE_LOCK, ws]);
      const open = await this.db.one<DownloadRow>(
        `SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE ws = $1 AND flow_run_id = $2 AND ${UNFINISHED}`,
        [ws, job.flowRunId],
        c,
      );
      if (open) return { job: toDownload(open), created: false };
      const n = await this.db.one<{ n: string }>(
        `SELECT count(*) AS n FROM downloads WHERE ws = $1 AND ${UNFINISHED}`,
        [ws],
        c,
      );
      if (Number(n?.n) >= maxUnfinished) throw new AppError('too_many_jobs', tooManyJobs(maxUnfinished));
      const row = await this.db.one<DownloadRow>(
        `INSERT INTO downloads (ws, id, flow_run_id, run_name, format, status, created, snapshot_seq)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7) RETURNING ${DOWNLOAD_COLUMNS}`,
        [ws, job.id, job.flowRunId, job.runName, job.format, job.created, job.snapshotSeq],
        c,
      );
      return { job: toDownload(row!), created: true };
    });
  }

  async get(workspaceId: string, id: string) {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    const r = await this.db.one<DownloadRow>(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE ws = $1 AND id = $2`, [
      ws,
      id,
    ]);
    return r ? toDownload(r) : undefined;
  }

  async list(
    workspaceId: string,
    q: { statuses?: DownloadStatus[]; flowRunId?: string; limit: number; offset: number },
  ) {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return { rows: [], total: 0 };
    const p: unknown[] = [ws];
    let where = 'ws = $1';
    if (q.statuses) {
      p.push(q.statuses);
      where += ` AND status = ANY($${p.length}::text[])`;
    }
    if (q.flowRunId) {
      p.push(q.flowRunId);
      where += ` AND flow_run_id = $${p.length}`;
    }
    const n = await this.db.one<{ n: string }>(`SELECT count(*) AS n FROM downloads WHERE ${where}`, p);
    const rows = await this.db.query<DownloadRow>(
      `SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE ${where} ORDER BY created DESC, id DESC LIMIT $${p.length + 1} OFFSET $${p.length + 2}`,
      [...p, q.limit, q.offset],
    );
    return { rows: rows.map(toDownload), total: Number(n?.n ?? 0) };
  }

  async delete(workspaceId: string, id: string) {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query('DELETE FROM downloads WHERE ws = $1 AND id = $2', [ws, id]);
      if (!r.rowCount) return false;
      await c.query('DELETE FROM download_chunks WHERE download_id = $1', [id]);
      return true;
    });
  }

  async claim(owner: string, now: Micros, until: Micros) {
    return this.db.tx(async (c) => {
      const r = await this.db.one<{ ws: number; workspace_id: string; id: string }>(
        `SELECT d.ws, w.id AS workspace_id, d.id FROM downloads d JOIN workspaces w ON w.ws = d.ws
         WHERE d.status = 'queued' OR (d.status = 'running' AND d.lease_until < $1)
         ORDER BY d.created, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED`,
        [now],
        c,
      );
      if (!r) return undefined;
      const row = await this.db.one<DownloadRow>(
        `UPDATE downloads SET status = 'running', lease_owner = $1, lease_until = $2 WHERE ws = $3 AND id = $4
         RETURNING ${DOWNLOAD_COLUMNS}`,
        [owner, until, r.ws, r.id],
        c,
      );
      await c.query('DELETE FROM download_chunks WHERE download_id = $1', [r.id]);
      return { ...toDownload(row!), workspaceId: r.workspace_id };
    });
  }

  async writeChunk(id: string, owner: string, n: number, data: Uint8Array, until: Micros) {
    return this.db.tx(async (c) => {
      const held = await c.query(
        "UPDATE downloads SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
        [until, id, owner],
      );
      if (!held.rowCount) return false;
      await c.query(
        `INSERT INTO download_chunks (download_id, n, data) VALUES ($1, $2, $3)
         ON CONFLICT (download_id, n) DO UPDATE SET data = excluded.data`,
        [id, n, Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
      );
      return true;
    });
  }

  async finish(
    id: string,
    owner: string,
    o: { rowCount: number; sizeBytes: number; completed: Micros; expires: Micros } | { error: string },
  ) {
    const where = "WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
    const r =
      'error' in o
        ? await this.db.tx((c) =>
            c.query(`UPDATE downloads SET status = 'failed', error = $3, lease_owner = NULL ${where}`, [
              id,
              owner,
              o.error,
            ]),
          )
        : await this.db.tx((c) =>
            c.query(
              `UPDATE downloads SET status = 'completed', row_count = $3, size_bytes = $4, completed = $5, expires = $6,
                 lease_owner = NULL ${where}`,
              [id, owner, o.rowCount, o.sizeBytes, o.completed, o.expires],
            ),
          );
    return (r.rowCount ?? 0) > 0;
  }

  async *chunks(workspaceId: string, id: string): AsyncGenerator<Uint8Array> {
    if (!(await this.get(workspaceId, id))) return;
    for (let n = 0; ; n++) {
      const r = await this.db.one<{ data: Buffer }>(
        'SELECT data FROM download_chunks WHERE download_id = $1 AND n = $2',
        [id, n],
      );
      if (!r) return;
      yield new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
    }
  }

  async expire(now: Micros) {
    return this.db.tx(async (c) => {
      const r = await c.query<{ id: string }>(
        "UPDATE downloads SET status = 'expired' WHERE status = 'completed' AND expires <= $1 RETURNING id",
        [now],
      );
      const ids = r.rows.map((x) => x.id);
      if (ids.length) await c.query('DELETE FROM download_chunks WHERE download_id = ANY($1::text[])', [ids]);
      return ids.length;
    });
  }
}
