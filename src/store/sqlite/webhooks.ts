/** SQLite: webhook rules, leases and the delivery log (SQL shared in `shared/webhook-sql.ts`). */
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
  deliveryParams,
  GET_RULE_SQL,
  HELD_RULES_SQL,
  HOLDS_SQL,
  INSERT_DELIVERY_SQL,
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
import type { Db } from './db.ts';
import type { SqliteTenancy } from './tenancy.ts';

type Row = Record<string, unknown>;

export class SqliteWebhooks implements WebhookStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  private ws(workspaceId: string): number {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return ws;
  }

  async create(workspaceId: string, rule: NewWebhook): Promise<Webhook> {
    this.db.tx(() => this.db.stmt(INSERT_RULE_SQL).run(...(ruleParams(this.ws(workspaceId), rule) as never[])));
    return { ...rule, workspaceId };
  }

  async get(workspaceId: string, id: string): Promise<Webhook | undefined> {
    const ws = this.tenancy.key(workspaceId);
    const r = ws === undefined ? undefined : (this.db.stmt(GET_RULE_SQL).get(ws, id) as Row | undefined);
    return r && ruleOf(r);
  }

  async list(workspaceId: string): Promise<Webhook[]> {
    const ws = this.tenancy.key(workspaceId);
    return ws === undefined ? [] : (this.db.stmt(LIST_RULES_SQL).all(ws) as Row[]).map(ruleOf);
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      if (!this.db.stmt(DELETE_RULE_SQL).run(ws, id).changes) return false;
      this.db.stmt(DELETE_RULE_DELIVERIES_SQL).run(id);
      return true;
    });
  }

  async claim(owner: string, now: Micros, until: Micros): Promise<Webhook[]> {
    return this.db.tx(() => {
      this.db.stmt(CLAIM_RULES_SQL).run(owner, until, owner, now);
      return (this.db.stmt(HELD_RULES_SQL).all(owner) as Row[]).map(ruleOf);
    });
  }

  async release(owner: string): Promise<void> {
    this.db.tx(() => this.db.stmt(RELEASE_RULES_SQL).run(owner));
  }

  async enqueue(id: string, owner: string, deliveries: NewDelivery[], position: number): Promise<boolean> {
    return this.db.tx(() => {
      if (!this.db.stmt(ADVANCE_SQL).run(position, id, owner).changes) return false;
      const insert = this.db.stmt(INSERT_DELIVERY_SQL);
      for (const d of deliveries) insert.run(id, ...(deliveryParams(d) as never[]));
      return true;
    });
  }

  async pendingCount(id: string): Promise<number> {
    return Number((this.db.stmt(PENDING_COUNT_SQL).get(id) as Row).n);
  }

  async due(id: string, now: Micros, limit: number) {
    return (this.db.stmt(DUE_SQL).all(id, now, limit) as Row[]).map(pendingOf);
  }

  async record(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return this.db.tx(() => {
      if (!this.db.stmt(HOLDS_SQL).get(id, owner)) return false;
      this.db.stmt(RECORD_SQL).run(...(outcomeParams(outcome) as never[]), id, outcome.eventId);
      return true;
    });
  }

  async deliveries(workspaceId: string, id: string, page: { limit: number; offset: number }) {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    return (this.db.stmt(DELIVERIES_SQL).all(ws, id, page.limit, page.offset) as Row[]).map(deliveryOf);
  }
}
