/**
 * PostgreSQL: webhook rules, leases and the delivery log (SQL shared in `shared/webhook-sql.ts`).
 * A lease is taken by a conditional UPDATE: two instances claiming at once serialize on the row,
 * and the second sees the first's lease (READ COMMITTED re-checks the condition), so each rule
 * has one deliverer.
 */
import type { Micros } from '../../domain/time.ts';
import type { DeliveryOutcome, NewDelivery, NewWebhook, Webhook } from '../../domain/webhooks.ts';
import type { WebhookStore } from '../contract.ts';
import {
  ADVANCE_SQL,
  CLAIM_RULES_SQL,
  DELETE_RULE_DELIVERIES_SQL,
  DELETE_RULE_SQL,
  DELIVERIES_SQL,
  DUE_SQL,
  deliveryOf,
  GET_RULE_SQL,
  HELD_RULES_SQL,
  HOLDS_SQL,
  INSERT_RULE_SQL,
  LIST_RULES_SQL,
  outcomeParams,
  PENDING_COUNT_SQL,
  pendingOf,
  RECORD_SQL,
  RELEASE_RULES_SQL,
  ruleOf,
  ruleParams,
} from '../shared/webhook-sql.ts';
import type { PgDb } from './db.ts';
import type { PgTenancy } from './tenancy.ts';

const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

/** A batch of deliveries in one statement: the columns travel as arrays. */
const INSERT_DELIVERIES = `INSERT INTO webhook_deliveries (webhook_id, event_id, seq, body, created, next_attempt)
  SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $5::bigint[])
  ON CONFLICT (webhook_id, event_id) DO NOTHING`;

export class PgWebhooks implements WebhookStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async create(workspaceId: string, rule: NewWebhook): Promise<Webhook> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    await this.db.query(numbered(INSERT_RULE_SQL), ruleParams(ws, rule));
    return { ...rule, workspaceId };
  }

  async get(workspaceId: string, id: string): Promise<Webhook | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    const r = ws === undefined ? undefined : await this.db.one(numbered(GET_RULE_SQL), [ws, id]);
    return r && ruleOf(r);
  }

  async list(workspaceId: string): Promise<Webhook[]> {
    const ws = await this.tenancy.key(workspaceId);
    return ws === undefined ? [] : (await this.db.query(numbered(LIST_RULES_SQL), [ws])).map(ruleOf);
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      if (!(await c.query(numbered(DELETE_RULE_SQL), [ws, id])).rowCount) return false;
      await c.query(numbered(DELETE_RULE_DELIVERIES_SQL), [id]);
      return true;
    });
  }

  async claim(owner: string, now: Micros, until: Micros): Promise<Webhook[]> {
    await this.db.query(numbered(CLAIM_RULES_SQL), [owner, until, owner, now]);
    return (await this.db.query(numbered(HELD_RULES_SQL), [owner])).map(ruleOf);
  }

  async release(owner: string): Promise<void> {
    await this.db.query(numbered(RELEASE_RULES_SQL), [owner]);
  }

  async enqueue(id: string, owner: string, deliveries: NewDelivery[], position: number): Promise<boolean> {
    return this.db.tx(async (c) => {
      // The row lock taken here holds off a takeover until the deliveries are committed.
      if (!(await c.query(numbered(ADVANCE_SQL), [position, id, owner])).rowCount) return false;
      if (deliveries.length)
        await c.query(INSERT_DELIVERIES, [
          id,
          deliveries.map((d) => d.eventId),
          deliveries.map((d) => d.seq),
          deliveries.map((d) => d.body),
          deliveries.map((d) => d.created),
        ]);
      return true;
    });
  }

  async pendingCount(id: string): Promise<number> {
    return Number((await this.db.one<{ n: number }>(numbered(PENDING_COUNT_SQL), [id]))?.n ?? 0);
  }

  async due(id: string, now: Micros, limit: number) {
    return (await this.db.query(numbered(DUE_SQL), [id, now, limit])).map(pendingOf);
  }

  async record(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return this.db.tx(async (c) => {
      if (!(await c.query(`${numbered(HOLDS_SQL)} FOR UPDATE`, [id, owner])).rowCount) return false;
      await c.query(numbered(RECORD_SQL), [...outcomeParams(outcome), id, outcome.eventId]);
      return true;
    });
  }

  async deliveries(workspaceId: string, id: string, page: { limit: number; offset: number }) {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    return (await this.db.query(numbered(DELIVERIES_SQL), [ws, id, page.limit, page.offset])).map(deliveryOf);
  }
}
