/**
 * What an operation runs with: the services built by the composition root, and the workspace the
 * request addresses. Operations know nothing about HTTP; surfaces build the context.
 */
import type { ServeConfig } from '../config/schema.ts';
import type { NewEvent } from '../domain/events.ts';
import type { LogRow, NewLog } from '../domain/logs.ts';
import type { Account, Workspace } from '../domain/tenancy.ts';
import type { GroupCommit } from '../ingest/group-commit.ts';
import type { Store } from '../store/contract.ts';
import type { LiveHub } from './live/hub.ts';
import type { EventSink } from './runs/event-sink.ts';

/** Where operations report problems they handle themselves (the server log). */
export interface OpLog {
  error(obj: object, msg: string): void;
}

export interface Services {
  readonly config: ServeConfig;
  readonly store: Store;
  readonly logWriter: GroupCommit<NewLog>;
  /** New logs for `/logs/out` subscribers, read once per workspace. */
  readonly liveLogs: LiveHub<LogRow>;
  /** Events: resolves once committed (the store skips duplicates); see `ingest/event-writer.ts`. */
  readonly eventWriter: GroupCommit<NewEvent>;
  readonly defaults: { readonly account: Account; readonly workspace: Workspace };
  /** Signs page tokens and cursors: `--token-secret`, else the one kept in the database. */
  readonly tokenSecret: string;
  /** Server-emitted events (flow-run state changes) enter the event ingest path here. */
  readonly eventSink: EventSink;
  readonly log: OpLog;
}

/** `oss`: `/api/...` paths; `cloud`: `/api/accounts/{a}/workspaces/{w}/...` paths. */
export type PathFamily = 'oss' | 'cloud';

export interface OpContext {
  readonly services: Services;
  readonly workspace: Workspace;
  readonly family: PathFamily;
}
