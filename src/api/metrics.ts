/**
 * Metrics about Sightline itself, served as `GET /metrics` in the Prometheus text format
 * (prom-client). One registry per server, not prom-client's global one: a process may run several
 * (tests do).
 *
 * The hot paths only increment: one counter and one histogram per HTTP request, one counter and
 * one histogram per committed batch. Everything else is a gauge read when Prometheus scrapes
 * (collect callbacks): writer backlogs, the text index's lag, the database's size and pool, the
 * websockets and what waits to be sent to them. Route labels are Fastify's route templates,
 * never raw paths, so their number is bounded by the route table.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RejectedLimit } from '../ops/access/rate-limits.ts';
import type { Services } from '../ops/context.ts';
import { type DatabaseUse, databaseUse } from '../ops/health/database.ts';

/** What a websocket tells the metrics while it is open. */
export interface TrackedSocket {
  /** Bytes waiting to reach the client: unsent on the socket, plus rows the route still queues. */
  bufferedBytes(): number;
}

/** Routes whose sockets are live subscriptions (their buffered bytes are what subscribers wait for). */
const LIVE_ROUTES: ReadonlySet<string> = new Set(['/logs/out', '/events/out']);

/** The label of a request that matched no route (404s of any path count as one series). */
const UNMATCHED_ROUTE = 'unmatched';

/** `/api/flow_runs/:id` → `/api/flow_runs/{id}`. */
const template = (url: string) => url.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** How long a scrape waits for the database's figures (Prometheus gives up after 10 s by default). */
const DATABASE_READ_MS = 5000;

/** `p`'s value, or undefined when it fails or takes longer than `ms`. */
function within<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([p.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly ingested: Counter<'kind'>;
  private readonly batches: Histogram<'kind'>;
  private readonly rejections: Counter<'limit'>;
  private readonly webhookAttempts: Counter<'outcome'>;
  /** Open websockets by route (`/logs/out`, …), whatever their path family. */
  private readonly sockets = new Map<string, Set<TrackedSocket>>();
  /** Label children by key: looking labels up per request costs more than the increment. */
  private readonly children = new Map<string, { count: Counter.Internal; time: Histogram.Internal<string> }>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'sightline_http_requests_total',
      help: 'HTTP requests answered on the native port, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'sightline_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to sending its answer, by method and route template.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.ingested = new Counter({
      name: 'sightline_ingested_items_total',
      help: 'Items committed by the writers, by kind (logs, events; events include duplicates the store skipped).',
      labelNames: ['kind'],
      registers,
    });
    this.batches = new Histogram({
      name: 'sightline_group_commit_items',
      help: 'Items per group-commit transaction, by kind.',
      labelNames: ['kind'],
      buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000, 20000],
      registers,
    });
    this.rejections = new Counter({
      name: 'sightline_rate_limit_rejections_total',
      help: 'Requests, item batches and authentications refused by a rate limit, by limit.',
      labelNames: ['limit'],
      registers,
    });
    this.webhookAttempts = new Counter({
      name: 'sightline_webhook_attempts_total',
      help: 'Webhook delivery attempts made by this instance, by outcome (delivered, retry, gave_up).',
      labelNames: ['outcome'],
      registers,
    });
    const sockets = this.sockets;
    new Gauge({
      name: 'sightline_websocket_connections',
      help: 'Open websockets on the native port, by route.',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const [route, set] of sockets) this.set({ route }, set.size);
      },
    });
    const live = (name: string, help: string, value: (set: Set<TrackedSocket>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['route'],
        registers,
        collect() {
          this.reset();
          for (const route of LIVE_ROUTES) this.set({ route }, value(sockets.get(route) ?? new Set()));
        },
      });
    live('sightline_live_subscribers', 'Live subscriptions (/logs/out, /events/out) open.', (s) => s.size);
    live(
      'sightline_live_buffered_bytes',
      'Bytes waiting to reach live subscribers: unsent on their sockets plus rows queued for them.',
      (s) => {
        let n = 0;
        for (const t of s) n += t.bufferedBytes();
        return n;
      },
    );
  }

  /** A webhook delivery attempt's outcome. */
  webhookAttempt(outcome: 'delivered' | 'retry' | 'gave_up'): void {
    this.webhookAttempts.inc({ outcome });
  }

  /** The webhook requests this instance has in flight, read at scrape time. */
  watchWebhooks(inFlight: () => number): void {
    new Gauge({
      name: 'sightline_webhook_requests_in_flight',
      help: 'Webhook deliveries this instance is sending now.',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
  }

  /** Gauges of the server's writers and database, read at scrape time. */
  watch(services: Services): void {
    const registers = [this.registry];
    new Gauge({
      name: 'sightline_writer_backlog_items',
      help: 'Items handed to a writer and not yet committed, by kind.',
      labelNames: ['kind'],
      registers,
      collect() {
        this.set({ kind: 'logs' }, services.logWriter.backlog);
        this.set({ kind: 'events' }, services.eventWriter.backlog);
      },
    });
    // One read of the database per scrape, shared by the gauges below. A database that fails or
    // hangs must not fail the scrape (the other metrics matter most then): `sightline_database_up`
    // says 0, and the gauges below keep their last values.
    let reading: Promise<DatabaseUse | undefined> | undefined;
    const use = () => {
      reading ??= within(DATABASE_READ_MS, databaseUse(services)).finally(() =>
        setImmediate(() => (reading = undefined)),
      );
      return reading;
    };
    new Gauge({
      name: 'sightline_database_up',
      help: "1 when this scrape read the database's figures, 0 when the database failed or took over 5 s.",
      registers,
      async collect() {
        this.set((await use()) ? 1 : 0);
      },
    });
    const gauge = (name: string, help: string, read: (u: DatabaseUse, g: Gauge) => void, labelNames: string[] = []) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const u = await use();
          if (u) read(u, this);
        },
      });
    gauge('sightline_text_index_lag_logs', 'Stored logs not yet in the text index.', (u, g) => g.set(u.textIndexLag));
    gauge(
      'sightline_database_size_bytes',
      'Size of the database (SQLite: its files; PostgreSQL: pg_database_size).',
      (u, g) => g.set(u.sizeBytes),
    );
    gauge(
      'sightline_db_pool_connections',
      'PostgreSQL pool connections by state: total, idle, and requests waiting for one (none on SQLite).',
      (u, g) => {
        for (const [state, n] of Object.entries(u.pool ?? {})) g.set({ state }, n);
      },
      ['state'],
    );
  }

  /** Counts every answer of `app` (call before registering routes). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', (req, reply, done) => {
      const url = req.routeOptions.url;
      const route = url === undefined ? UNMATCHED_ROUTE : template(url);
      const key = `${req.method} ${route} ${reply.statusCode}`;
      let c = this.children.get(key);
      if (!c) {
        c = {
          count: this.requests.labels(req.method, route, String(reply.statusCode)),
          time: this.latency.labels(req.method, route),
        };
        this.children.set(key, c);
      }
      c.count.inc();
      c.time.observe(reply.elapsedTime / 1000);
      done();
    });
  }

  /** A writer committed a batch of `n` items. */
  committed(kind: 'logs' | 'events', n: number): void {
    this.ingested.inc({ kind }, n);
    this.batches.observe({ kind }, n);
  }

  rateLimited(limit: RejectedLimit): void {
    this.rejections.inc({ limit });
  }

  /** Counts a websocket of `route` until it closes. */
  socketOpened(route: string, socket: TrackedSocket): () => void {
    let set = this.sockets.get(route);
    if (!set) this.sockets.set(route, (set = new Set()));
    set.add(socket);
    return () => set.delete(socket);
  }
}

/** `GET /metrics`; under `--auth` it needs a read key unless `--metrics-public` (`access.ts`). */
export function registerMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  // Not in the OpenAPI documents: the Prometheus text format is not JSON (docs/operations.md).
  app.get('/metrics', { config: { scope: 'read', undocumented: true } }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
