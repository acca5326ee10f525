/**
 * Composition root: config → store → services → listeners. The only module that wires concrete
 * implementations together; everything else receives what it needs.
 */
import type { FastifyInstance } from 'fastify';
import { doorOf } from './api/access.ts';
import { buildApi } from './api/app.ts';
import { publicOrigin } from './api/link-origin.ts';
import { ServerMetrics } from './api/metrics.ts';
import { buildOtlpListener } from './api/otlp/listener.ts';
import { type PrefectUiSetup, setUpPrefectUi } from './api/prefect-ui/setup.ts';
import { type CapabilityService, startCapabilities } from './capabilities/service.ts';
import { retentionFlags } from './config/retention.ts';
import type { ServeConfig } from './config/schema.ts';
import { listenFailure } from './config/startup-error.ts';
import { type Micros, nowMicros } from './domain/time.ts';
import { createEventWriter } from './ingest/event-writer.ts';
import { createLogWriter } from './ingest/log-writer.ts';
import { createOtelWriter } from './ingest/otel-writer.ts';
import { TextIndexer } from './ingest/text-indexer.ts';
import { Keyring } from './ops/access/keyring.ts';
import { RateLimits } from './ops/access/rate-limits.ts';
import { type EventSink, type OpLog, type Services, type StoreServices, withStore } from './ops/context.ts';
import { LiveHub } from './ops/live/hub.ts';
import { logLiveSource } from './ops/logs/live-logs.ts';
import { startCancelSweeper } from './ops/management/actions.ts';
import { startDownloadWorker } from './ops/management/downloads.ts';
import { copyStore, type MigrateReport } from './ops/migrate/copy.ts';
import { RetentionSchedule } from './ops/retention/schedule.ts';
import { eventWriterSink } from './ops/runs/event-sink.ts';
import { WebhookWorker } from './ops/webhooks/worker.ts';
import type { Store } from './store/contract.ts';
import { openStore } from './store/open.ts';

export interface Sightline {
  readonly services: Services;
  /** The store the services use (tests and the composition root; adapters go through operations). */
  readonly store: Store;
  readonly api: FastifyInstance;
  readonly indexer: TextIndexer;
  /** What `GET /metrics` serves. */
  readonly metrics: ServerMetrics;
  /** Retention sweeps on this instance (`--retention-*`). */
  readonly retention: RetentionSchedule;
  /** Webhook deliveries from this instance (`--webhook-*`). */
  readonly webhooks: WebhookWorker;
  /** The REST gateway and MCP server, unless `--no-capabilities`. */
  readonly capabilities?: CapabilityService;
  /** Prefect's web UI at `/prefect/` (`--prefect-ui`), and the start-up line about it. */
  readonly prefectUi: PrefectUiSetup;
  /** Base URL of the native API (`http://host:port/api`), once listening. */
  apiUrl?: string;
  /** Base URL of the `--otlp-port` listener (`http://host:port`), once listening; undefined without it. */
  otlpUrl?: string;
  listen(): Promise<void>;
  close(): Promise<void>;
}

export async function createSightline(
  config: ServeConfig,
  opts: {
    logger?: boolean | object;
    store?: Store;
    env?: Record<string, string | undefined>;
    eventSink?: EventSink;
    /** Where retention sweeps and webhook retries read the time (tests move it instead of waiting). */
    clock?: () => Micros;
    /** Time between webhook delivery rounds without new events (ms). */
    webhookPollMs?: number;
  } = {},
): Promise<Sightline> {
  // Checked before anything opens: a bad override is a start-up error of the options.
  const flags = retentionFlags(config);
  const store =
    opts.store ??
    (await openStore({ url: config.db, sync: config.sync as 'normal' | 'full', pool: config['db-pool'] }));
  const defaults = await store.tenancy.ensureDefaults();
  let prefectUi: PrefectUiSetup;
  try {
    prefectUi = await setUpPrefectUi(config, withStore<StoreServices>({ defaults }, store));
  } catch (err) {
    // A start-up error of the options: nothing else runs yet, so only the store is to close.
    if (!opts.store) await store.close();
    throw err;
  }
  // --token-secret wins over the database's secret, for every engine; instances sharing a
  // database must then all be given the same one.
  const tokenSecret = config['token-secret'] || (await store.tenancy.tokenSecret());
  const metrics = new ServerMetrics();
  const logWriter = createLogWriter(store, { onCommit: (n) => metrics.committed('logs', n) });
  let downloadWorker: ReturnType<typeof startDownloadWorker> | undefined;
  let api: FastifyInstance | undefined;
  const log: OpLog = { error: (obj, msg) => api?.log.error(obj, msg), info: (obj, msg) => api?.log.info(obj, msg) };
  const liveLogs = new LiveHub(store.changes, logLiveSource(store), {
    onError: (err) => api?.log.error({ err }, 'live log stream: reading new logs failed; retrying'),
  });
  const eventWriter = createEventWriter(store, { onCommit: (n) => metrics.committed('events', n) });
  const otelWriter = createOtelWriter(store);
  // Server-emitted run events take the clients' ingest path: dedup, tags, projections, streams.
  const eventSink = opts.eventSink ?? eventWriterSink(eventWriter);
  const keyring = new Keyring(store.keys, log);
  const limits = new RateLimits(config, { onReject: (limit) => metrics.rateLimited(limit) });
  // Ingest is busy while logs or events keep arriving; the indexer and retention sweeps then pace
  // themselves and leave it most of the thread.
  const ingestBusy = () => logWriter.idleMs < 100 || eventWriter.idleMs < 100;
  const retention = new RetentionSchedule(withStore<StoreServices>({ defaults }, store), {
    flags,
    batch: config['retention-batch'],
    intervalSeconds: config['retention-interval'],
    now: opts.clock ?? nowMicros,
    log,
    busy: ingestBusy,
  });
  const services = withStore<Services>(
    {
      config,
      logWriter,
      eventWriter,
      otelWriter,
      defaults,
      tokenSecret,
      liveLogs,
      eventSink,
      keyring,
      limits,
      log,
      wakeDownloads: () => downloadWorker?.wake(),
      retention,
    },
    store,
  );
  metrics.watch(services);
  api = await buildApi(services, { logger: opts.logger, prefectUi: prefectUi.ui, metrics });
  const indexer = new TextIndexer(store, { busy: ingestBusy });
  indexer.start();
  retention.start();
  // Run links point at the web UI: --public-url, else this listener once it listens.
  const origin = () => publicOrigin(config) ?? s.apiUrl?.slice(0, -'/api'.length);
  const webhooks = new WebhookWorker(withStore<StoreServices>({ defaults }, store), {
    now: opts.clock ?? nowMicros,
    timeoutMs: (config['webhook-timeout'] as number) * 1000,
    firstRetryMicros: (config['webhook-retry-delay'] as number) * 1_000_000,
    queue: config['webhook-queue'],
    concurrency: 4,
    pollMs: opts.webhookPollMs ?? 1000,
    origin,
    log,
    onAttempt: (outcome) => metrics.webhookAttempt(outcome),
  });
  metrics.watchWebhooks(() => webhooks.inFlight.now);
  webhooks.start();
  const cancelSweeper = startCancelSweeper(services, config['cancel-timeout'] as number);
  // Any instance may write any workspace's downloads; --no-download-worker leaves them to others.
  if (!config['no-download-worker']) downloadWorker = startDownloadWorker(services, config['download-ttl'] as number);
  // Loaded before anything listens: a broken capability file stops start-up with its report.
  const otlp = config['otlp-port'] === undefined ? undefined : await buildOtlpListener(services, opts.logger);
  const capabilities = config['no-capabilities']
    ? undefined
    : startCapabilities(config, api, defaults, { env: opts.env, logger: opts.logger, door: doorOf(services) });

  let closed = false;
  const s: Sightline = {
    services,
    store,
    api: api,
    indexer,
    metrics,
    retention,
    webhooks,
    capabilities,
    prefectUi,
    async listen() {
      await api.listen({ host: config.host, port: config.port }).catch((err) => {
        throw listenFailure(err, '--port');
      });
      const addr = api.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      s.apiUrl = `http://${host}:${port}/api`;
      if (otlp) {
        await otlp.listen({ host: config.host, port: config['otlp-port'] }).catch((err) => {
          throw listenFailure(err, '--otlp-port');
        });
        const a = otlp.server.address();
        s.otlpUrl = `http://${host}:${typeof a === 'object' && a ? a.port : config['otlp-port']}`;
      }
      await capabilities?.listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Stop taking requests, let in-flight writes commit, then close the database.
      await capabilities?.close();
      await otlp?.close();
      await api.close();
      await webhooks.stop();
      liveLogs.close();
      await logWriter.close();
      await eventWriter.close();
      await otelWriter.close();
      await indexer.stop();
      await cancelSweeper.stop();
      await retention.stop();
      await downloadWorker?.stop();
      await store.close();
    },
  };
  return s;
}

/**
 * The store alone, for administration (`sightline accounts|workspaces|keys`): nothing listens and
 * nothing runs in the background, so it works beside servers using the same database.
 */
export async function openAdministration(
  config: Pick<ServeConfig, 'db' | 'sync'>,
): Promise<{ services: StoreServices; close(): Promise<void> }> {
  const store = await openStore({ url: config.db, sync: config.sync as 'normal' | 'full', pool: 2 });
  try {
    const services = withStore<StoreServices>({ defaults: await store.tenancy.ensureDefaults() }, store);
    return { services, close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * `sightline migrate`: copies the store at `fromUrl` into the (empty, or partly copied from the same
 * source) store at `toUrl` and verifies the copy. No server may be writing to either meanwhile.
 */
export async function migrateStore(
  fromUrl: string,
  toUrl: string,
  opts: Parameters<typeof copyStore>[2],
): Promise<MigrateReport> {
  const from = await openStore({ url: fromUrl, sync: 'normal', pool: 2 });
  try {
    const to = await openStore({ url: toUrl, sync: 'normal', pool: 4 });
    try {
      return await copyStore(from, to, opts);
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

/** `sightline backup|restore`: copies of the embedded store, made without starting anything. */
export { backupStore, restoreStore } from './store/open.ts';
