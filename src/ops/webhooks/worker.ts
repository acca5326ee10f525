/**
 * The webhook delivery worker (issue 25, ADR 44). Each round it leases the rules no other instance
 * is delivering, then per rule: queues the matching events committed after the rule's position
 * into its delivery log (as many as the queue has room for, moving the position in the same
 * transaction), and POSTs the deliveries that are due, a few at a time, each with a timeout.
 * Rounds start on a timer (leases taken and renewed, retries due) and on change-feed notices of new
 * events while this instance holds rules. Everything it holds is bounded by `queue` and `concurrency` per rule.
 */
import { createHmac } from 'node:crypto';
import { parseOrThrow } from '../../domain/errors.ts';
import { eventFilterOssSchema } from '../../domain/events/filters.ts';
import { type EventScope, renderEvent } from '../../domain/events.ts';
import { uuid4 } from '../../domain/ids.ts';
import type { Micros } from '../../domain/time.ts';
import {
  deliveryBody,
  flowRunOfEvent,
  type NewDelivery,
  outcomeOf,
  type PendingDelivery,
  type Webhook,
} from '../../domain/webhooks.ts';
import type { Store } from '../../store/contract.ts';
import { type OpLog, type StoreServices, storeOf } from '../context.ts';
import { resolveFilter } from '../events/filter-events.ts';

/** `until` of a rule's filter that names none. */
const FOREVER = 253_402_300_799_000_000;

export interface WebhookWorkerOptions {
  now: () => Micros;
  /** Per attempt. */
  timeoutMs: number;
  /** Wait before the second attempt; it doubles after each failure (at most an hour). */
  firstRetryMicros: Micros;
  /** Most deliveries of a rule waiting in its log; the position stops while it is full. */
  queue: number;
  /** Most requests in flight per rule. */
  concurrency: number;
  /** Time between rounds without notices. */
  pollMs: number;
  /** The web UI's origin for run links; undefined: no link. */
  origin: () => string | undefined;
  log: OpLog;
  /** Told each attempt's outcome (the metrics). */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'gave_up') => void;
}

export class WebhookWorker {
  /** This instance's name in the rules' leases. */
  readonly owner = uuid4();
  private readonly store: Store;
  private readonly opts: WebhookWorkerOptions;
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private claimNext = false;
  /** The rules this instance leases, as of the last claim (positions kept current here). */
  private held: Webhook[] = [];
  private inFlightNow = 0;
  private peak = 0;
  private readonly filters = new Map<string, ReturnType<typeof resolveFilter>>();

  constructor(services: StoreServices, opts: WebhookWorkerOptions) {
    this.store = storeOf(services);
    this.opts = opts;
  }

  /** Requests in flight now, and the most there were at once. */
  get inFlight(): { now: number; peak: number } {
    return { now: this.inFlightNow, peak: this.peak };
  }

  start(): void {
    this.unsubscribe = this.store.changes.subscribe((n) => {
      if (n.stream === 'events' && this.held.length) this.wake();
    });
    this.timer = setInterval(() => this.wake(true), this.opts.pollMs);
    this.timer.unref();
    this.wake(true);
  }

  /**
   * Starts a round, or another one after the round under way. `claim`: take and renew leases
   * first (the timer's rounds; notices of new events only serve the rules held, so ingest's
   * notices never cause a write).
   */
  wake(claim = false): void {
    if (this.stopping.signal.aborted) return;
    if (claim) this.claimNext = true;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          if (await this.round()) this.again = true;
        } catch (err) {
          if (!this.stopping.signal.aborted)
            this.opts.log.error({ err }, 'webhook delivery round failed; the next one continues');
        }
      } while (this.again && !this.stopping.signal.aborted);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** One round over the rules this instance holds; true when a rule has more to do at once. */
  private async round(): Promise<boolean> {
    if (this.claimNext) {
      this.claimNext = false;
      const now = this.opts.now();
      const lease = Math.max(60_000, 4 * this.opts.timeoutMs) * 1000;
      this.held = await this.store.webhooks.claim(this.owner, now, now + lease);
      for (const id of this.filters.keys()) if (!this.held.some((r) => r.id === id)) this.filters.delete(id);
    }
    const busy = await Promise.all(this.held.map((r) => this.serve(r)));
    return busy.some(Boolean);
  }

  /** A write refused: the rule went, or another instance holds it now. Leases are read again. */
  private lost(rule: Webhook): void {
    this.held = this.held.filter((r) => r !== rule);
    this.claimNext = true;
  }

  private async serve(rule: Webhook): Promise<boolean> {
    const queued = await this.enqueue(rule);
    if (!this.held.includes(rule)) return false;
    const due = await this.store.webhooks.due(rule.id, this.opts.now(), this.opts.concurrency);
    await Promise.all(due.map((d) => this.attempt(rule, d)));
    return queued || due.length === this.opts.concurrency;
  }

  /** The rule's filter as the store takes it: no time window unless the rule names one. */
  private filterOf(rule: Webhook, scope: EventScope) {
    let f = this.filters.get(rule.id);
    if (!f) {
      const input = parseOrThrow(eventFilterOssSchema, rule.filter, ['filter']);
      const occurred = { since: input.occurred?.since ?? 0, until: input.occurred?.until ?? FOREVER };
      f = resolveFilter({ ...input, occurred }, scope);
      this.filters.set(rule.id, f);
    }
    return f;
  }

  /**
   * Queues the matching events after the rule's position. The range read is halved until its
   * matches fit the queue's room: the position is a `seq`, and the events API reads in
   * `occurred` order, so a range is queued whole or not at all. True when events are left.
   */
  private async enqueue(rule: Webhook): Promise<boolean> {
    const room = this.opts.queue - (await this.store.webhooks.pendingCount(rule.id));
    const last = await this.store.events.maxSeq();
    if (room <= 0 || last <= rule.position) return false;
    const workspace = (await this.store.tenancy.listWorkspaces()).find((w) => w.id === rule.workspaceId);
    if (!workspace) return false;
    const scope: EventScope = { kind: 'workspace', accountId: workspace.accountId, workspaceId: workspace.id };
    const filter = this.filterOf(rule, scope);
    let upTo = last;
    for (;;) {
      const rows = await this.store.events.query(scope, {
        filter,
        order: 'ASC',
        limit: room + 1,
        offset: 0,
        minSeq: rule.position,
        maxSeq: upTo,
      });
      if (rows.length <= room) {
        const created = this.opts.now();
        const deliveries: NewDelivery[] = rows.map((e) => {
          const run = flowRunOfEvent(e);
          const origin = this.opts.origin();
          const link = run && origin ? `${origin}/runs/${run}?workspace=${rule.workspaceId}` : null;
          const event = renderEvent(e, false) as Parameters<typeof deliveryBody>[1];
          return { eventId: e.id, seq: e.seq, created, body: deliveryBody(rule.format, event, link) };
        });
        if (!(await this.store.webhooks.enqueue(rule.id, this.owner, deliveries, upTo))) {
          this.lost(rule);
          return false;
        }
        rule.position = upTo;
        return upTo < last;
      }
      if (upTo - rule.position <= 1) return false;
      upTo = rule.position + Math.floor((upTo - rule.position) / 2);
    }
  }

  private async attempt(rule: Webhook, d: PendingDelivery): Promise<void> {
    const signature = createHmac('sha256', rule.secret).update(d.body).digest('hex');
    let answer: { status?: number; error?: string };
    this.inFlightNow++;
    this.peak = Math.max(this.peak, this.inFlightNow);
    try {
      const res = await fetch(rule.url, {
        method: 'POST',
        body: d.body,
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Sightline-Webhooks',
          'x-sightline-signature': `sha256=${signature}`,
          'x-sightline-delivery': d.eventId,
          'x-sightline-webhook': rule.id,
        },
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.stopping.signal]),
      });
      await res.body?.cancel();
      answer = { status: res.status };
    } catch (err) {
      // Stopping: the delivery stays due, and the next holder of the rule sends it again.
      if (this.stopping.signal.aborted) return;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      answer = {
        error:
          e.name === 'TimeoutError'
            ? `no answer within ${this.opts.timeoutMs} ms`
            : (e.cause?.code ?? e.cause?.message ?? e.message).slice(0, 200),
      };
    } finally {
      this.inFlightNow--;
    }
    const outcome = outcomeOf(d, d.attempts + 1, answer, this.opts.now(), this.opts.firstRetryMicros);
    this.opts.onAttempt?.(outcome.delivered !== null ? 'delivered' : outcome.gaveUp !== null ? 'gave_up' : 'retry');
    if (outcome.gaveUp !== null)
      this.opts.log.error(
        { webhook: rule.id, event: d.eventId, status: outcome.status, error: outcome.error },
        `webhook ${rule.id}: gave up delivering event ${d.eventId} after ${outcome.attempts} attempts (${outcome.status ?? outcome.error})`,
      );
    if (!(await this.store.webhooks.record(rule.id, this.owner, outcome))) this.lost(rule);
  }

  /** Stops rounds, abandons requests in flight (they stay due) and gives the rules back. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running;
    await this.store.webhooks.release(this.owner).catch(() => {});
  }
}
