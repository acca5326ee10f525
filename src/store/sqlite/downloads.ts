/** SQLite: queued log downloads and their files (`DownloadStore`). */
import { AppError } from '../../domain/errors.ts';
import type { DownloadJob, DownloadStatus, NewDownload } from '../../domain/management/downloads.ts';
import type { Micros } from '../../domain/time.ts';
import type { DownloadStore } from '../contract.ts';
import { DOWNLOAD_COLUMNS, type DownloadRow, toDownload, tooManyJobs } from '../shared/download-rows.ts';
import type { Db } from './db.ts';
import type { SqliteTenancy } from './tenancy.ts';

const UNFINISHED = "status IN ('queued', 'running')";

export class SqliteDownloads implements DownloadStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async enqueue(workspaceId: string, job: NewDownload, maxUnfinished: number) {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return this.db.tx(() => {
      const open = this.db
        .stmt(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE ws = ? AND flow_run_id = ? AND ${UNFINISHED}`)
        .get(ws, job.flowRunId) as DownloadRow | undefined;
      if (open) return { job: toDownload(open), created: false };
      const n = this.db.stmt(`SELECT count(*) AS n FROM downloads WHERE ws = ? AND ${UNFINISHED}`).get(ws) as {
        n: number;
      };
      if (n.n >= maxUnfinished) throw new AppError('too_many_jobs', tooManyJobs(maxUnfinished));
      this.db
        .stmt(
          `INSERT INTO downloads (ws, id, flow_run_id, run_name, format, status, created, snapshot_seq)
           VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
        )
        .run(ws, job.id, job.flowRunId, job.runName, job.format, job.created, job.snapshotSeq);
      return { job: this.row(ws, job.id)!, created: true };
    });
  }

  private row(ws: number, id: string): DownloadJob | undefined {
    const r = this.db.stmt(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE ws = ? AND id = ?`).get(ws, id);
    return r ? toDownload(r as DownloadRow) : undefined;
  }

  async get(workspaceId: string, id: string) {
    const ws = this.tenancy.key(workspaceId);
    return ws === undefined ? undefined : this.row(ws, id);
  }

  async list(
    workspaceId: string,
    q: { statuses?: DownloadStatus[]; flowRunId?: string; limit: number; offset: number },
  ) {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return { rows: [], total: 0 };
    let where = 'ws = ?';
    const params: (string | number)[] = [ws];
    if (q.statuses) {
      where += ' AND status IN (SELECT value FROM json_each(?))';
      params.push(JSON.stringify(q.statuses));
    }
    if (q.flowRunId) {
      where += ' AND flow_run_id = ?';
      params.push(q.flowRunId);
    }
    const total = (this.db.stmt(`SELECT count(*) AS n FROM downloads WHERE ${where}`).get(...params) as { n: number })
      .n;
    const rows = this.db
      .stmt(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE ${where} ORDER BY created DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as DownloadRow[];
    return { rows: rows.map(toDownload), total };
  }

  async delete(workspaceId: string, id: string) {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      const gone = this.db.stmt('DELETE FROM downloads WHERE ws = ? AND id = ?').run(ws, id).changes > 0;
      if (gone) this.db.stmt('DELETE FROM download_chunks WHERE download_id = ?').run(id);
      return gone;
    });
  }

  async claim(owner: string, now: Micros, until: Micros) {
    return this.db.tx(() => {
      const r = this.db
        .stmt(
          `SELECT d.ws, w.id AS workspace_id, d.id FROM downloads d JOIN workspaces w ON w.ws = d.ws
           WHERE d.status = 'queued' OR (d.status = 'running' AND d.lease_until < ?)
           ORDER BY d.created, d.id LIMIT 1`,
        )
        .get(now) as { ws: number; workspace_id: string; id: string } | undefined;
      if (!r) return undefined;
      this.db
        .stmt("UPDATE downloads SET status = 'running', lease_owner = ?, lease_until = ? WHERE ws = ? AND id = ?")
        .run(owner, until, r.ws, r.id);
      this.db.stmt('DELETE FROM download_chunks WHERE download_id = ?').run(r.id);
      return { ...this.row(r.ws, r.id)!, workspaceId: r.workspace_id };
    });
  }

  async writeChunk(id: string, owner: string, n: number, data: Uint8Array, until: Micros) {
    return this.db.tx(() => {
      const held = this.db
        .stmt("UPDATE downloads SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'")
        .run(until, id, owner).changes;
      if (!held) return false;
      this.db.stmt('INSERT OR REPLACE INTO download_chunks (download_id, n, data) VALUES (?, ?, ?)').run(id, n, data);
      return true;
    });
  }

  async finish(
    id: string,
    owner: string,
    o: { rowCount: number; sizeBytes: number; completed: Micros; expires: Micros } | { error: string },
  ) {
    const where = "WHERE id = ? AND lease_owner = ? AND status = 'running'";
    const r =
      'error' in o
        ? this.db
            .stmt(`UPDATE downloads SET status = 'failed', error = ?, lease_owner = NULL ${where}`)
            .run(o.error, id, owner)
        : this.db
            .stmt(
              `UPDATE downloads SET status = 'completed', row_count = ?, size_bytes = ?, completed = ?, expires = ?, lease_owner = NULL ${where}`,
            )
            .run(o.rowCount, o.sizeBytes, o.completed, o.expires, id, owner);
    return r.changes > 0;
  }

  async *chunks(workspaceId: string, id: string): AsyncGenerator<Uint8Array> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined || !this.row(ws, id)) return;
    // One chunk per read: a file of any size streams in bounded memory.
    for (let n = 0; ; n++) {
      const r = this.db.stmt('SELECT data FROM download_chunks WHERE download_id = ? AND n = ?').get(id, n) as
        | { data: Uint8Array }
        | undefined;
      if (!r) return;
      yield r.data;
    }
  }

  async expire(now: Micros) {
    return this.db.tx(() => {
      const ids = this.db.stmt("SELECT id FROM downloads WHERE status = 'completed' AND expires <= ?").all(now) as {
        id: string;
      }[];
      for (const { id } of ids) {
        this.db.stmt("UPDATE downloads SET status = 'expired' WHERE id = ?").run(id);
        this.db.stmt('DELETE FROM download_chunks WHERE download_id = ?').run(id);
      }
      return ids.length;
    });
  }
}
