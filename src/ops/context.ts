/**
 * What an operation runs with: the services built by the composition root, and the workspace the
 * request addresses. Operations know nothing about HTTP; surfaces build the context.
 *
 * The store is not a member of `Services`: adapters (routes, capabilities, CLI) hold the same
 * services but reach data only through operations. Operations get it with `storeOf`, which only
 * `src/ops/` and the composition root may import (`test/architecture.test.ts` checks).
 */
import type { ServeConfig } from '../config/schema.ts';
import type { NewEvent } from '../domain/events.ts';
import type { LogRow, NewLog } from '../domain/logs.ts';
import type { RetentionFlags } from '../domain/retention.ts';
import type { RunEvent } from '../domain/runs/run-events.ts';
import type { Account, Workspace } from '../domain/tenancy.ts';
import type { Micros } from '../domain/time.ts';
import type { OtelSpanItem } from '../ingest/otel-writer.ts';
import type { Writer } from '../ingest/writer.ts';
import type { Store } from '../store/contract.ts';
import type { Keyring } from './access/keyring.ts';
import type { RateLimits } from './access/rate-limits.ts';
import type { LiveHub } from './live/hub.ts';

/** Where operations report problems they handle themselves (the server log). */
export interface OpLog {
  error(obj: object, msg: string): void;
  /** Routine reports (a retention sweep's figures); absent = dropped. */
  info?(obj: object, msg: string): void;
}

/** Where server-emitted run events go; resolves once they are committed. */
export interface EventSink {
  emit(workspace: Workspace, events: RunEvent[]): Promise<void>;
}

/** What operations that need only the store run with (the admin CLI opens a store without serving). */
export interface StoreServices {
  readonly defaults: { readonly account: Account; readonly workspace: Workspace };
}

export interface Services extends StoreServices {
  readonly config: ServeConfig;
  /** Logs: resolves once committed; see `ingest/log-writer.ts`. */
  readonly logWriter: Writer<NewLog>;
  /** New logs for `/logs/out` subscribers, read once per workspace. */
  readonly liveLogs: LiveHub<LogRow>;
  /** Events: resolves once committed (the store skips duplicates); see `ingest/event-writer.ts`. */
  readonly eventWriter: Writer<NewEvent>;
  /** OTel spans received over OTLP: resolves once committed, each item told whether it was stored. */
  readonly otelWriter: Writer<OtelSpanItem>;
  /** Signs page tokens and cursors: `--token-secret`, else the one kept in the database. */
  readonly tokenSecret: string;
  /** Server-emitted events (flow-run state changes) enter the event ingest path here. */
  readonly eventSink: EventSink;
  /** Which key a secret is (`--auth`), kept in memory a few seconds. */
  readonly keyring: Keyring;
  /** Requests and items a minute per key or address, in this instance's memory. */
  readonly limits: RateLimits;
  readonly log: OpLog;
  /** The retention flags in force and when this instance sweeps next (`GET /admin/retention`). */
  readonly retention?: { readonly flags: RetentionFlags; readonly nextSweep: Micros | undefined };
  /** Wakes this instance's download worker when a job is queued (workers also poll). */
  readonly wakeDownloads?: () => void;
}

const stores = new WeakMap<StoreServices, Store>();

/** The composition root's one call: these services read and write `store`. */
export function withStore<S extends StoreServices>(services: S, store: Store): S {
  stores.set(services, store);
  return services;
}

/** The store behind `services`, for operations only. */
export function storeOf(services: StoreServices): Store {
  const store = stores.get(services);
  if (!store) throw new Error('services were built without a store (see withStore)');
  return store;
}

/** `oss`: `/api/...` paths; `cloud`: `/api/accounts/{a}/workspaces/{w}/...` paths. */
export type PathFamily = 'oss' | 'cloud';

export interface OpContext {
  readonly services: Services;
  readonly workspace: Workspace;
  readonly family: PathFamily;
}
