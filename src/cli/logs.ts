/**
 * `sightline logs FLOW_RUN_ID`: prints a flow run's stored logs, oldest first; with `--follow`,
 * then prints new ones as they are committed. The live stream is opened before the stored logs
 * are read, and logs seen in both are printed once (by id): nothing is lost or repeated at the
 * seam.
 */
import { FLAGS_ONLY, loadOptions } from '../config/load.ts';
import type { OptionSpec, OptionsOf } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import { normalizeUuid } from '../domain/ids.ts';
import { parseLevel, textLine } from '../domain/log-export.ts';
import { formatMicros, MICROS_PER_SECOND, type Micros, nowMicros, parseIsoMicros } from '../domain/time.ts';
import {
  API_KEY_OPTION,
  apiOption,
  getJson,
  getJsonWithDate,
  resolveApiKey,
  resolveApiUrl,
  websocketUrl,
} from './api-client.ts';
import { openLiveSocket } from './live-socket.ts';
import { progress } from './progress.ts';
import { levelStyle, paint, useColour } from './style.ts';

const logsOptions = {
  api: apiOption,
  'api-key': API_KEY_OPTION,
  level: {
    type: 'string',
    help: 'Only logs at or above this level: a name (debug, info, warning, error, critical) or a number.',
  },
  since: {
    type: 'string',
    help: 'Only logs at or after this time: an ISO-8601 time, or a duration back from now (90s, 15m, 2h, 7d).',
  },
  logger: { type: 'list', help: 'Only logs of this logger (repeatable).', default: [] },
  grep: {
    type: 'string',
    help: 'Only logs matching this text query (Prefect\'s grammar: words, "phrases", -exclude, +require).',
  },
  follow: {
    type: 'bool',
    help: 'After the stored logs, keep printing new ones until interrupted.',
    default: false,
    short: 'f',
  },
  json: { type: 'bool', help: "Print each log as one JSON line (Prefect's Log object).", default: false },
} as const satisfies Record<string, OptionSpec>;

type LogsOptions = OptionsOf<typeof logsOptions>;

/** A log as the API renders it. */
interface ApiLog {
  id: string;
  created: string | null;
  name: string;
  level: number;
  message: string;
  timestamp: string;
  [key: string]: unknown;
}

const PAGE = 200;
const DURATION = /^(\d+)\s*(s|m|h|d)$/;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function parseSince(text: string, now: Micros): Micros {
  const d = DURATION.exec(text.trim());
  if (d) return now - Number(d[1]) * UNIT[d[2]] * MICROS_PER_SECOND;
  const t = parseIsoMicros(text);
  if (t === undefined)
    throw new AppError(
      'invalid_input',
      `--since: not a time or duration: '${text}' (e.g. 2024-05-01T12:00:00Z, 15m, 2h)`,
    );
  return t;
}

/** Writes to stdout at the pace the reader takes it (a pipe to `less` must not fill memory). */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
}

export async function logs(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o, positionals } = loadOptions<LogsOptions>(logsOptions, argv, FLAGS_ONLY, {
    args: ['FLOW_RUN_ID'],
    about: "Prints a flow run's logs, oldest first; coloured on a terminal unless NO_COLOR is set.",
  });
  const runId = normalizeUuid(positionals[0]);
  if (!runId) throw new AppError('invalid_input', `FLOW_RUN_ID must be a UUID, got '${positionals[0]}'`);
  const level = o.level === undefined ? undefined : parseLevel(o.level);
  if (o.level !== undefined && level === undefined)
    throw new AppError('invalid_input', `--level: not a level: '${o.level}'`);
  const since = o.since === undefined ? undefined : parseSince(o.since, nowMicros());
  const api = resolveApiUrl(o.api, env);
  const key = resolveApiKey(o['api-key'], env);

  const colour = useColour(process.stdout, env);
  const render = (log: ApiLog): string => {
    if (o.json) return `${JSON.stringify(log)}\n`;
    const timestamp = parseIsoMicros(log.timestamp) ?? 0;
    return textLine({ ...log, timestamp }, colour ? { level: (name, n) => paint(name, levelStyle(n)) } : {});
  };

  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): stop quietly.
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

  const filter = {
    flow_run_id: { any_: [runId] },
    level: level === undefined ? undefined : { ge_: level },
    timestamp: since === undefined ? undefined : { after_: formatMicros(since) },
    loggers: o.logger.length ? { any_: o.logger } : undefined,
    text: o.grep === undefined ? undefined : { query: o.grep },
  };
  const live = o.follow ? await openLiveSocket(websocketUrl(api, '/logs/out'), filter, env, key) : undefined;

  // Logs committed after the live stream started may come both ways; only those can be
  // duplicates, and they were created at most moments before the server's first answer.
  const seen = new Set<string>();
  let seenFrom: Micros | undefined;
  let printed = 0;
  const reading = progress(`reading the logs of flow run ${runId}`);
  await readStored(api, key, runId, { level, since, loggers: o.logger, grep: o.grep }, async (page, serverNow) => {
    if (live && seenFrom === undefined)
      seenFrom = serverNow === undefined ? Number.NEGATIVE_INFINITY : serverNow - 120 * MICROS_PER_SECOND;
    let out = '';
    printed += page.length;
    for (const log of page) {
      out += render(log);
      if (live && (parseIsoMicros(log.created ?? '') ?? Number.POSITIVE_INFINITY) >= seenFrom!) seen.add(log.id);
    }
    reading.clear();
    await write(out);
    reading.set(`${printed.toLocaleString('en')} so far`);
  }).finally(() => reading.done());
  if (!printed) {
    if (!(await known(api, key, runId))) {
      live?.close();
      throw new AppError('not_found', `no flow run ${runId} at ${api}: neither a run nor any log of it`);
    }
    const searched = [
      o.level === undefined ? '' : ` at level ${o.level} or above`,
      o.logger.length ? ` of logger ${o.logger.join(' or ')}` : '',
      o.grep === undefined ? '' : ` matching '${o.grep}'`,
      since === undefined ? '' : ` since ${formatMicros(since)}`,
    ].join('');
    process.stderr.write(`no logs of flow run ${runId}${searched}${live ? '; waiting for new ones' : ''}\n`);
  }
  if (!live) return;

  process.once('SIGINT', () => live.close());
  process.once('SIGTERM', () => live.close());
  live.start((m) => {
    if (m.type !== 'log') return;
    const log = m.log as ApiLog;
    if (seen.delete(log.id)) return;
    process.stdout.write(render(log));
  });
  const { code, reason } = await live.closed;
  if (code !== 1000 && code !== 1005) {
    throw new AppError('unavailable', `the live stream ended: ${code}${reason ? ` ${reason}` : ''}`);
  }
}

/**
 * Whether the server knows the run: as a flow run, or by a log of it (logs may arrive for runs
 * this server never saw created). An unknown one is an error, not an empty list — nor, with
 * --follow, a wait that never ends.
 */
async function known(api: string, key: string | undefined, runId: string): Promise<boolean> {
  const found = await getJson(`${api}/flow_runs/${runId}`, key).then(
    () => true,
    (err) => {
      if (err instanceof AppError && err.code === 'not_found') return false;
      throw err;
    },
  );
  return found || (await getJson<unknown[]>(`${api}/flow_runs/${runId}/logs?limit=1`, key)).length > 0;
}

interface StoredQuery {
  level?: number;
  since?: Micros;
  loggers: string[];
  grep?: string;
}

/**
 * Pages through `GET /flow_runs/{id}/logs` in timestamp order. Each next page starts at the last
 * timestamp seen (`since` is inclusive) and skips the logs already read at that timestamp, so
 * paging never rereads the run from the start.
 */
async function readStored(
  api: string,
  key: string | undefined,
  runId: string,
  q: StoredQuery,
  onPage: (logs: ApiLog[], serverNow: Micros | undefined) => Promise<void>,
): Promise<void> {
  let since = q.since;
  let atSince = 0;
  for (;;) {
    const params = new URLSearchParams({ limit: String(PAGE), sort: 'TIMESTAMP_ASC' });
    if (q.level !== undefined) params.set('level_ge', String(q.level));
    if (since !== undefined) params.set('since', formatMicros(since));
    if (atSince) params.set('offset', String(atSince));
    if (q.loggers.length) params.set('loggers', q.loggers.join(','));
    if (q.grep !== undefined) params.set('text_query', q.grep);
    const { body: page, date } = await getJsonWithDate<ApiLog[]>(`${api}/flow_runs/${runId}/logs?${params}`, key);
    await onPage(page, date);
    if (page.length < PAGE) return;
    const last = parseIsoMicros(page[page.length - 1].timestamp)!;
    const sameAsLast = page.filter((l) => parseIsoMicros(l.timestamp) === last).length;
    atSince = last === since ? atSince + sameAsLast : sameAsLast;
    since = last;
  }
}
