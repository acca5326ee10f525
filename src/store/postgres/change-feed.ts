/**
 * The change feed across instances: LISTEN/NOTIFY on one channel.
 *
 * A notice carries only `(workspace, stream, maxSeq)` (NOTIFY payloads are limited to 8000
 * bytes; subscribers read the rows themselves). `maxSeq` must mean "every row up to here is
 * committed", which a writer's own last position does not guarantee when writers commit out of
 * order (see `streams.ts`). So `notify` only queues the notice; a flush announces it once the
 * stream's `committedUpto` has reached it, with that (possibly higher) position, and retries with
 * a short backoff while an older writer is still in flight. Notices for the same workspace and
 * stream are coalesced.
 *
 * Listening uses one dedicated connection, opened on the first `subscribe`. After every
 * (re)connect, when notices may have been missed, subscribers get a catch-up notice per
 * workspace and stream at the current committed position.
 */
import type pg from 'pg';
import type { ChangeFeed, ChangeNotice, StreamName } from '../contract.ts';
import type { PgDb } from './db.ts';
import { committedUpto, STREAMS } from './streams.ts';

export const CHANNEL = 'sightline_changes';

const RETRY_MIN_MS = 5;
const RETRY_MAX_MS = 500;
const RECONNECT_MAX_MS = 5_000;

interface Payload {
  /** Workspace id; null for account-scope events (then `a` names the account). */
  w: string | null;
  a?: string;
  s: StreamName;
  q: number;
}

function parsePayload(text: string): ChangeNotice | undefined {
  try {
    const p = JSON.parse(text) as Payload;
    const w = typeof p.w === 'string' || (p.w === null && typeof p.a === 'string') ? p.w : undefined;
    if (w !== undefined && (p.s === 'logs' || p.s === 'events') && Number.isSafeInteger(p.q)) {
      const n: ChangeNotice = { workspaceId: w, stream: p.s, maxSeq: p.q };
      if (typeof p.a === 'string') n.accountId = p.a;
      return n;
    }
  } catch {
    // Not ours: ignore.
  }
  return undefined;
}

export class PgChangeFeed implements ChangeFeed {
  private readonly db: PgDb;
  private readonly listeners = new Set<(n: ChangeNotice) => void>();
  private readonly pending = new Map<string, ChangeNotice>();
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private listener: pg.Client | undefined;
  private listening = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectMs = 100;
  private closed = false;

  constructor(db: PgDb) {
    this.db = db;
  }

  async notify(notice: ChangeNotice): Promise<void> {
    if (this.closed) return;
    const key = `${notice.workspaceId ?? `a:${notice.accountId}`}\u0000${notice.stream}`;
    const prev = this.pending.get(key);
    if (!prev || prev.maxSeq < notice.maxSeq) this.pending.set(key, { ...notice });
    this.kick();
  }

  subscribe(listener: (n: ChangeNotice) => void): () => void {
    this.listeners.add(listener);
    if (!this.listening && !this.closed) {
      this.listening = true;
      void this.connect();
    }
    return () => this.listeners.delete(listener);
  }

  /** Starts a flush unless one is running or scheduled. */
  private kick(): void {
    if (this.flushing || this.retryTimer) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      if (this.pending.size && !this.closed && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.retryMs);
        this.retryTimer.unref();
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      } else if (!this.pending.size) {
        this.retryMs = RETRY_MIN_MS;
      }
    });
  }

  private async flush(): Promise<void> {
    if (!this.pending.size) return;
    try {
      const streams = new Set([...this.pending.values()].map((n) => n.stream));
      const upto = new Map<StreamName, number>();
      for (const s of streams) upto.set(s, await committedUpto(this.db, s));
      const ready: { key: string; notice: ChangeNotice; payload: string }[] = [];
      for (const [key, n] of this.pending) {
        const u = upto.get(n.stream)!;
        if (u >= n.maxSeq) {
          const payload: Payload = { w: n.workspaceId, s: n.stream, q: u };
          if (n.accountId) payload.a = n.accountId;
          ready.push({ key, notice: n, payload: JSON.stringify(payload) });
        }
      }
      if (!ready.length) return;
      await this.db.query(`SELECT pg_notify('${CHANNEL}', p) FROM unnest($1::text[]) p`, [ready.map((r) => r.payload)]);
      // A newer notice for the same key may have arrived meanwhile; keep that one.
      for (const r of ready) if (this.pending.get(r.key) === r.notice) this.pending.delete(r.key);
    } catch {
      // The database is unreachable or busy: the notices stay queued and the retry timer tries again.
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = this.db.client();
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      const n = parsePayload(msg.payload);
      if (n) this.deliver(n);
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
      this.reconnectMs = 100;
      await this.catchUp();
    } catch {
      client.end().catch(() => {});
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.reconnectMs);
    this.reconnectTimer.unref();
    this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
  }

  /** While not listening, notices may have been missed: announce where every stream stands now. */
  private async catchUp(): Promise<void> {
    const workspaces = await this.db.query<{ id: string }>('SELECT id FROM workspaces');
    for (const stream of Object.keys(STREAMS) as StreamName[]) {
      const upto = await committedUpto(this.db, stream);
      if (upto <= 0) continue;
      for (const w of workspaces) this.deliver({ workspaceId: w.id, stream, maxSeq: upto });
    }
  }

  private deliver(n: ChangeNotice): void {
    for (const l of this.listeners) {
      try {
        l({ ...n });
      } catch {
        // One failing subscriber must not starve the others.
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // One last attempt for what is queued, while the pool is still open.
    await this.flushing;
    await this.flush();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.listener;
    this.listener = undefined;
    if (c) await c.end().catch(() => {});
  }
}
