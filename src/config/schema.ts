/**
 * The one configuration schema. Every option is a flag `--foo-bar` with the environment variable
 * `SIGHTLINE_FOO_BAR`; flags win over the environment, the environment over defaults. Boolean
 * flags take no value. Options are read once, at start, by `load.ts`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `duration`: whole seconds, written `90s`, `15m`, `36h`, `30d` or a bare number (`duration.ts`). */
export type OptionType = 'string' | 'int' | 'bool' | 'list' | 'duration';

export interface OptionSpec {
  type: OptionType;
  help: string;
  /** The default, or a function of the options parsed so far (e.g. `--db` from `--data-dir`). */
  default?: unknown | ((o: Record<string, unknown>) => unknown);
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** A duration that may be `0` or `off` (none). */
  off?: boolean;
  /** A one-letter spelling: `short: 'f'` makes `-f` mean this option. */
  short?: string;
}

/** The capability engine: REST gateway and MCP server (docs/capabilities.md). */
export const capabilityOptions = {
  'rest-port': {
    type: 'int',
    help: 'Port of the REST gateway (default: the ports the capability files declare, 8080; 0 = any free port).',
    min: 0,
    max: 65535,
  },
  'mcp-port': {
    type: 'int',
    help: "Port of the MCP server, Streamable HTTP at /mcp (default: the files' ports, 9090; 0 = any free port).",
    min: 0,
    max: 65535,
  },
  'no-capabilities': { type: 'bool', help: 'Serve neither the REST gateway nor the MCP server.', default: false },
  capabilities: {
    type: 'list',
    help: 'Extra capability file or directory to load (repeatable), besides the built-in capabilities/.',
    default: [],
  },
  upstream: {
    type: 'string',
    help: 'A remote Cloud-shaped API (Prefect Cloud or another Sightline) for the capabilities instead of the local API.',
  },
  'upstream-key': { type: 'string', help: 'API key for --upstream (default: PREFECT_API_KEY).' },
  'upstream-timeout-ms': {
    type: 'int',
    help: 'How long a consumed API may take to answer (a download may take longer while bytes flow).',
    default: 30000,
    min: 100,
  },
  'mcp-max-chars': {
    type: 'int',
    help: 'Largest MCP tool result, in characters (at least 5000); longer lists are cut at a whole item.',
    default: 60000,
    min: 5000,
  },
  'mcp-tools': {
    type: 'string',
    help: 'Which MCP tools to list: curated (the agent tools), generated (one per capability-file tool) or all.',
    default: 'all',
    choices: ['curated', 'generated', 'all'],
  },
  'mcp-read-only': {
    type: 'bool',
    help: 'List no MCP tool that writes or deletes (the agent tools only read).',
    default: false,
  },
} as const satisfies Record<string, OptionSpec>;

export const serveOptions = {
  host: { type: 'string', help: 'Address to listen on.', default: '127.0.0.1' },
  port: { type: 'int', help: 'Port of the native Prefect API (0 = any free port).', default: 4200, min: 0, max: 65535 },
  'data-dir': {
    type: 'string',
    help: 'Directory for the embedded database and other state.',
    default: join(homedir(), '.sightline'),
  },
  db: {
    type: 'string',
    help: 'Database URL: sqlite:<path> (embedded) or postgres://user:password@host:port/database.',
    default: (o: Record<string, unknown>) => `sqlite:${join(String(o['data-dir']), 'sightline.db')}`,
  },
  'db-pool': {
    type: 'int',
    help: 'PostgreSQL: largest number of pooled database connections per instance.',
    default: 10,
    min: 1,
    max: 1000,
  },
  'token-secret': {
    type: 'string',
    help: 'Secret that signs page tokens and cursors (default: one generated once and kept in the database).',
  },
  sync: {
    type: 'string',
    help: 'SQLite durability: normal survives a crash, full also survives power loss.',
    default: 'normal',
    choices: ['normal', 'full'],
  },
  'max-body': { type: 'int', help: 'Largest accepted request body, in bytes.', default: 16 * 1024 * 1024, min: 1024 },
  'otlp-port': {
    type: 'int',
    help: 'Also serve OTLP/HTTP at /v1/traces, /v1/logs and /v1/metrics on this port, into the workspace of the open-source paths (off unless given; 4318 is the convention; 0 = any free port).',
    min: 0,
    max: 65535,
  },
  'otlp-max-body': {
    type: 'int',
    help: 'Largest OTLP request body in bytes, after gzip decompression (larger → 413).',
    default: 64 * 1024 * 1024,
    min: 1024,
  },
  'otlp-link-window': {
    type: 'duration',
    help: 'How long an OTLP log record whose span has not joined a run waits for it: when the span joins a run in that time the record is linked to the run (0 or off = never; ADR 48).',
    default: 3600,
    off: true,
  },
  'graph-max-nodes': {
    type: 'int',
    help: "Most nodes a flow run's graph (graph-v2) may have; a larger one is refused with 400 (Prefect's default).",
    default: 10_000,
    min: 1,
  },
  'prefect-version': { type: 'string', help: 'Prefect version reported by /api/admin/version.', default: '3.8.3' },
  'cors-origin': {
    type: 'list',
    help: 'Origin of a web page allowed to call the API (repeatable; CORS is off unless given); other origins get 403.',
    default: [],
  },
  'public-url': { type: 'string', help: 'Externally visible base URL (for absolute links such as next_page).' },
  'allowed-host': {
    type: 'list',
    help: 'Host name (besides loopback names, IP literals and the --public-url host) that every listener accepts and absolute links may use (repeatable); other names get 421.',
    default: [],
  },
  'trusted-proxy': {
    type: 'list',
    help: 'Address or CIDR of a reverse proxy whose X-Forwarded-For/-Proto/-Host count for the client address, links and the Host check (repeatable); ignored from anyone else.',
    default: [],
  },
  'cancel-timeout': {
    type: 'duration',
    help: 'How long a stopped run may stay CANCELLING, waiting for its client to acknowledge, before the server sets CANCELLED.',
    default: 60,
  },
  'download-ttl': {
    type: 'duration',
    help: 'How long a finished log download (GET /api/v1/flow-runs/{id}/download) is kept and served.',
    default: 86_400,
  },
  'retention-logs': {
    type: 'duration',
    help: 'How long logs are kept, by their timestamp (0 or off = forever); a workspace setting (sightline workspaces set-retention) wins.',
    default: 0,
    off: true,
  },
  'retention-events': {
    type: 'duration',
    help: 'How long events are kept, by their occurred time (0 or off = forever); a workspace setting wins.',
    default: 0,
    off: true,
  },
  'retention-runs': {
    type: 'duration',
    help: 'How long a finished top-level flow run is kept after its whole trace ended, with everything beneath it and their logs (0 or off = forever); a workspace setting wins.',
    default: 0,
    off: true,
  },
  'retention-events-override': {
    type: 'list',
    help: 'PREFIX=DURATION: events whose name starts with PREFIX are kept that long instead of --retention-events (repeatable; the longest matching prefix wins; 0 or off = forever).',
    default: [],
  },
  'retention-interval': {
    type: 'duration',
    help: 'Time between retention sweeps (one sweep at a time across the instances sharing the database).',
    default: 600,
    min: 1,
  },
  'retention-batch': {
    type: 'int',
    help: 'Rows a retention sweep removes per transaction; ingest commits between batches.',
    default: 5000,
    min: 1,
    max: 1_000_000,
  },
  'webhook-timeout': {
    type: 'duration',
    help: 'How long a webhook target may take to answer a delivery before the attempt counts as failed (and is retried).',
    default: 10,
    min: 1,
  },
  'webhook-retry-delay': {
    type: 'duration',
    help: 'Wait before a failed webhook delivery is tried again; it doubles after each failure (at most an hour), for 24 hours.',
    default: 10,
    min: 1,
  },
  'webhook-queue': {
    type: 'int',
    help: 'Most deliveries of one webhook waiting to succeed; while it is full, newer events wait in the event store.',
    default: 100,
    min: 1,
    max: 10_000,
  },
  'no-ui': { type: 'bool', help: "Do not serve Sightline's web UI at / on the native port.", default: false },
  'no-download-worker': {
    type: 'bool',
    help: 'Write no log downloads here: other instances sharing the database write them.',
    default: false,
  },
  'prefect-ui': {
    type: 'string',
    help: "Serve a Prefect web UI build folder (v1 or v2) at /prefect/: its path, or auto to ask the python3 on PATH for the installed Prefect's.",
  },
  'prefect-ui-workspace': {
    type: 'string',
    help: 'Workspace (id, or a handle no other account uses) the Prefect UI at /prefect/ shows, through its Cloud path (default: the open-source paths).',
  },
  auth: {
    type: 'bool',
    help: 'Require an API key (sightline keys create) on every request but /api/health and /api/ready; without it the server is open to anyone who reaches it.',
    default: false,
  },
  'metrics-public': {
    type: 'bool',
    help: 'Serve GET /metrics without an API key under --auth (for a Prometheus that cannot send one).',
    default: false,
  },
  'rate-limit-requests': {
    type: 'int',
    help: 'API requests a minute per key (per remote address without --auth): HTTP requests, MCP requests, websocket subscriptions; 0 = no limit. Over it → 429 with Retry-After.',
    default: 0,
    min: 0,
  },
  'rate-limit-items': {
    type: 'int',
    help: 'Items written a minute per key (per remote address without --auth): log lines and events; 0 = no limit. A batch over what is left → 429, over the whole limit → 413; /events/in slows down instead.',
    default: 0,
    min: 0,
  },
  'auth-fail-limit': {
    type: 'int',
    help: 'Failed authentications a minute per remote address under --auth; past it the address gets 429 until its allowance refills (0 = no limit).',
    default: 30,
    min: 0,
  },
  'request-timeout': {
    type: 'duration',
    help: 'How long a client may take to send a whole request, body included (408 after; 0 or off = no limit).',
    default: 300,
    off: true,
  },
  'headers-timeout': {
    type: 'duration',
    help: "How long a client may take to send a request's headers (0 or off = no limit).",
    default: 60,
    off: true,
  },
  'keep-alive-timeout': {
    type: 'duration',
    help: 'How long an idle keep-alive connection stays open.',
    default: 5,
    min: 1,
  },
  'ws-max-message': {
    type: 'int',
    help: 'Largest websocket message a client may send, in bytes (larger → close 1009).',
    default: 2 * 1024 * 1024,
    min: 1024,
  },
  'ws-max-buffer': {
    type: 'int',
    help: 'Most bytes a websocket may have waiting to be sent; live streams pause there, and a socket past it is closed (1013).',
    default: 256 * 1024,
    min: 16 * 1024,
  },
  'ws-max-connections': {
    type: 'int',
    help: 'Most open websockets per key (per remote address without --auth; more → close 1013).',
    default: 100,
    min: 1,
  },
  'ws-handshake-timeout': {
    type: 'duration',
    help: 'How long a websocket has to authenticate (prefect subprotocol) and to send its filter (/logs/out, /events/out).',
    default: 10,
    min: 1,
  },
  'live-queue': {
    type: 'int',
    help: 'Most matching logs a /logs/out subscriber may have waiting, and most events committed while an /events/out subscriber is not reading, before it is disconnected (1013).',
    default: 10_000,
    min: 1,
  },
  'log-level': {
    type: 'string',
    help: 'Server log level.',
    default: 'info',
    choices: ['silent', 'error', 'warn', 'info', 'debug'],
  },
  'log-format': {
    type: 'string',
    help: 'Server log format: pretty (a line to read) or json (a JSON object per line) (default: pretty on a terminal, else json).',
    choices: ['pretty', 'json'],
  },
  ...capabilityOptions,
} as const satisfies Record<string, OptionSpec>;

export type ServeOptionName = keyof typeof serveOptions;

type ValueOf<S extends OptionSpec> = S['type'] extends 'int' | 'duration'
  ? number
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : S extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** The parsed options of an option schema: what `loadOptions` returns for it, typed from the specs. */
export type OptionsOf<Specs extends Record<string, OptionSpec>> = {
  readonly [K in keyof Specs]: Specs[K] extends { default: unknown }
    ? ValueOf<Specs[K]>
    : ValueOf<Specs[K]> | undefined;
};

export type ServeConfig = OptionsOf<typeof serveOptions>;
