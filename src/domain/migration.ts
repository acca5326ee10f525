/**
 * What `sightline migrate` copies from one store to another, in an engine-neutral shape: one kind
 * per stored table, its columns with the neutral type of their values, and the key whose order both
 * engines export in (text compared by code point, so both sides agree on the order and a checksum
 * over the ordered records means the same on each). Derived tables (per-run counters, logger
 * statistics, rollups, tags, the span projection) are copied as stored rather than recomputed
 * (ADR 45); the log text index is not: the target indexes the copied logs itself.
 *
 * Neutral values: `int` a number, `text` a string, `json` the JSON text (engines may respell it:
 * compare it parsed), `bool` 0 or 1, `bytes` a Uint8Array; any of them may be null.
 */
export type MigrationValue = number | string | Uint8Array | null;
/** One stored row in the neutral shape of its kind (`shared/migration-kinds.ts`). */
export type MigrationRecord = Record<string, MigrationValue>;

export type ColumnType = 'int' | 'text' | 'json' | 'bool' | 'bytes';

export interface MigrationKind {
  /** The table, and the kind's name. */
  table: KindName;
  /** The columns of the key, unique per record, in export order. */
  key: string[];
  columns: Record<string, ColumnType>;
  /** Only the rows whose `column` holds `equals` belong to the kind. */
  only?: { column: string; equals: string };
  /** Copied whole at every run, replacing what the target holds (a resumed copy starts it again). */
  replace?: boolean;
}

const kinds = {
  accounts: { key: ['id'], columns: { k: 'int', id: 'text', name: 'text', handle: 'text', created: 'int' } },
  workspaces: {
    key: ['ws'],
    columns: {
      ws: 'int',
      id: 'text',
      account_id: 'text',
      name: 'text',
      handle: 'text',
      description: 'text',
      is_default: 'bool',
      created: 'int',
    },
  },
  api_keys: {
    key: ['id'],
    columns: {
      id: 'text',
      account_id: 'text',
      workspace_ids: 'json',
      scope: 'text',
      name: 'text',
      prefix: 'text',
      hash: 'text',
      created: 'int',
      expires: 'int',
      revoked: 'int',
      last_used: 'int',
      rate_limit_requests: 'int',
      rate_limit_items: 'int',
    },
  },
  workspace_retention: { key: ['ws'], columns: { ws: 'int', logs: 'int', events: 'int', runs: 'int' } },
  retention_sweeps: {
    key: ['ws'],
    columns: { ws: 'int', started: 'int', finished: 'int', logs: 'int', events: 'int', runs: 'int', spans: 'int' },
  },
  flows: {
    key: ['ws', 'id'],
    columns: { ws: 'int', id: 'text', created: 'int', updated: 'int', name: 'text', tags: 'json', labels: 'json' },
  },
  flow_runs: {
    key: ['ws', 'id'],
    columns: {
      ws: 'int',
      id: 'text',
      created: 'int',
      updated: 'int',
      name: 'text',
      flow_id: 'text',
      state_id: 'text',
      state_type: 'text',
      state_name: 'text',
      state_timestamp: 'int',
      deployment_id: 'text',
      deployment_version: 'text',
      work_queue_id: 'text',
      work_queue_name: 'text',
      work_pool_id: 'text',
      work_pool_name: 'text',
      flow_version: 'text',
      parameters: 'json',
      idempotency_key: 'text',
      context: 'json',
      empirical_policy: 'json',
      tags: 'json',
      labels: 'json',
      parent_task_run_id: 'text',
      run_count: 'int',
      expected_start_time: 'int',
      next_scheduled_start_time: 'int',
      start_time: 'int',
      end_time: 'int',
      total_run_time: 'int',
      auto_scheduled: 'bool',
      infrastructure_document_id: 'text',
      infrastructure_pid: 'text',
      created_by: 'json',
      job_variables: 'json',
      retry_of: 'text',
    },
  },
  flow_run_states: {
    key: ['ws', 'id'],
    columns: {
      ws: 'int',
      id: 'text',
      flow_run_id: 'text',
      type: 'text',
      name: 'text',
      timestamp: 'int',
      message: 'text',
      data: 'json',
      state_details: 'json',
    },
  },
  task_runs: {
    key: ['ws', 'id'],
    columns: {
      ws: 'int',
      id: 'text',
      created: 'int',
      updated: 'int',
      name: 'text',
      flow_run_id: 'text',
      task_key: 'text',
      dynamic_key: 'text',
      cache_key: 'text',
      cache_expiration: 'int',
      task_version: 'text',
      empirical_policy: 'json',
      tags: 'json',
      labels: 'json',
      task_inputs: 'json',
      state_id: 'text',
      state_type: 'text',
      state_name: 'text',
      state_timestamp: 'int',
      run_count: 'int',
      flow_run_run_count: 'int',
      expected_start_time: 'int',
      next_scheduled_start_time: 'int',
      start_time: 'int',
      end_time: 'int',
      total_run_time: 'int',
    },
  },
  task_run_states: {
    key: ['ws', 'id'],
    columns: {
      ws: 'int',
      id: 'text',
      task_run_id: 'text',
      type: 'text',
      name: 'text',
      timestamp: 'int',
      message: 'text',
      data: 'json',
      state_details: 'json',
    },
  },
  artifacts: {
    key: ['ws', 'id'],
    columns: {
      ws: 'int',
      id: 'text',
      created: 'int',
      updated: 'int',
      key: 'text',
      type: 'text',
      description: 'text',
      data: 'json',
      metadata: 'json',
      flow_run_id: 'text',
      task_run_id: 'text',
    },
  },
  logs: {
    key: ['seq'],
    columns: {
      seq: 'int',
      ws: 'int',
      id: 'text',
      created: 'int',
      timestamp: 'int',
      level: 'int',
      name: 'text',
      message: 'text',
      flow_run_id: 'text',
      task_run_id: 'text',
      worker_id: 'text',
    },
  },
  log_run_stats: {
    key: ['ws', 'flow_run_id'],
    columns: { ws: 'int', flow_run_id: 'text', count: 'int', max_seq: 'int', warn_count: 'int', error_count: 'int' },
  },
  log_loggers: {
    key: ['ws', 'name'],
    columns: { ws: 'int', name: 'text', count: 'int', first_seen: 'int', last_seen: 'int' },
  },
  log_run_loggers: {
    key: ['ws', 'flow_run_id', 'name'],
    columns: { ws: 'int', flow_run_id: 'text', name: 'text', count: 'int', first_seen: 'int', last_seen: 'int' },
  },
  events: {
    key: ['seq'],
    columns: {
      seq: 'int',
      acct: 'int',
      ws: 'int',
      id: 'text',
      occurred: 'int',
      received: 'int',
      event: 'text',
      resource_id: 'text',
      resource: 'json',
      related: 'json',
      payload: 'json',
      follows: 'text',
      actor_id: 'text',
      actor_name: 'text',
    },
  },
  event_rollup_names: {
    key: ['ws', 'acct', 'hour', 'event', 'actor'],
    columns: {
      acct: 'int',
      ws: 'int',
      hour: 'int',
      event: 'text',
      actor: 'text',
      n: 'int',
      first_occurred: 'int',
      last_occurred: 'int',
      actor_name: 'text',
      actor_name_at: 'int',
    },
  },
  event_rollup_resources: {
    key: ['ws', 'resource_id', 'hour', 'event'],
    columns: {
      acct: 'int',
      ws: 'int',
      resource_id: 'text',
      hour: 'int',
      event: 'text',
      n: 'int',
      first_occurred: 'int',
      last_occurred: 'int',
      name: 'text',
      name_at: 'int',
    },
  },
  flow_run_event_counts: {
    key: ['ws', 'flow_run_id'],
    columns: { ws: 'int', flow_run_id: 'text', own: 'int', task: 'int' },
  },
  tags: { key: ['ws', 'name'], columns: { ws: 'int', name: 'text', first_seen: 'int', last_seen: 'int', n: 'int' } },
  spans: {
    key: ['ws', 'span_id'],
    columns: {
      ws: 'int',
      span_id: 'text',
      trace_id: 'text',
      parent_span_id: 'text',
      path: 'text',
      depth: 'int',
      span_type: 'text',
      name: 'text',
      start_time: 'int',
      end_time: 'int',
      sort_start: 'int',
      total_run_time: 'int',
      state_type: 'text',
      state_name: 'text',
      state_timestamp: 'int',
      tags: 'json',
      attributes: 'text',
      search: 'text',
      version: 'int',
      published: 'int',
      child_count: 'int',
      child_state_counts: 'text',
    },
  },
  span_observed_states: {
    key: ['ws', 'state_type', 'state_name'],
    columns: { ws: 'int', state_type: 'text', state_name: 'text', first_seen: 'int', last_seen: 'int' },
  },
  otel_spans: {
    key: ['ws', 'span_id'],
    columns: {
      ws: 'int',
      span_id: 'text',
      otel_trace_id: 'text',
      otel_parent_id: 'text',
      name: 'text',
      start_time: 'int',
      end_time: 'int',
      state_type: 'text',
      state_name: 'text',
      attributes: 'text',
      events: 'text',
      run_id: 'text',
      received: 'int',
    },
  },
  otel_links: { key: ['ws', 'otel_span_id'], columns: { ws: 'int', otel_span_id: 'text', run_id: 'text' } },
  otel_log_ids: { key: ['ws', 'id'], columns: { ws: 'int', id: 'text', stored: 'int' } },
  otel_log_pending: {
    key: ['ws', 'seq'],
    columns: { ws: 'int', seq: 'int', span_id: 'text', timestamp: 'int', link_until: 'int' },
  },
  downloads: {
    key: ['ws', 'id'],
    columns: {
      ws: 'int',
      id: 'text',
      flow_run_id: 'text',
      run_name: 'text',
      format: 'text',
      status: 'text',
      created: 'int',
      completed: 'int',
      row_count: 'int',
      size_bytes: 'int',
      error: 'text',
      snapshot_seq: 'int',
      expires: 'int',
      lease_owner: 'text',
      lease_until: 'int',
    },
  },
  download_chunks: { key: ['download_id', 'n'], columns: { download_id: 'text', n: 'int', data: 'bytes' } },
  webhooks: {
    key: ['id'],
    columns: {
      id: 'text',
      ws: 'int',
      filter: 'text',
      url: 'text',
      format: 'text',
      secret: 'text',
      created: 'int',
      position: 'int',
      lease_owner: 'text',
      lease_until: 'int',
    },
  },
  webhook_deliveries: {
    key: ['webhook_id', 'event_id'],
    columns: {
      webhook_id: 'text',
      event_id: 'text',
      seq: 'int',
      body: 'text',
      created: 'int',
      attempts: 'int',
      status: 'int',
      error: 'text',
      next_attempt: 'int',
      delivered: 'int',
      gave_up: 'int',
    },
  },
  // The page-token secret, so that page tokens and cursors issued by the source keep working.
  meta: {
    key: ['key'],
    columns: { key: 'text', value: 'text' },
    only: { column: 'key', equals: 'token_secret' },
    replace: true,
  },
} satisfies Record<string, Omit<MigrationKind, 'table'>>;

export type KindName = keyof typeof kinds;

/** Every kind in copy order: a record's references (account, workspace) are copied before it. */
export const MIGRATION_KINDS: MigrationKind[] = Object.entries(kinds).map(([table, k]) => ({
  table: table as KindName,
  ...k,
}));

export function migrationKind(name: string): MigrationKind {
  const kind = MIGRATION_KINDS.find((k) => k.table === name);
  if (!kind) throw new Error(`unknown migration kind '${name}'`);
  return kind;
}

/** Text, for a checksum, that is the same for equal records on every engine (JSON compared parsed). */
export function canonicalRecord(kind: MigrationKind, r: MigrationRecord): string {
  return JSON.stringify(
    Object.entries(kind.columns).map(([c, type]) => {
      const v = r[c];
      if (v === null || v === undefined) return null;
      if (type === 'json') return sortedJson(JSON.parse(v as string));
      if (type === 'bytes') return Buffer.from(v as Uint8Array).toString('hex');
      if (type === 'int' || type === 'bool') return Number(v);
      return v;
    }),
  );
}

function sortedJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sortedJson(o[k])]),
  );
}
