/**
 * `sightline events`: print recent events (oldest first) and optionally follow new ones.
 *
 *   sightline events [--filter JSON] [--event PREFIX] [--resource ID] [--since T] [--limit N]
 *                    [--follow] [--json] [--api URL]
 *
 * `--since` takes an ISO time or a duration back from now (`30s`, `15m`, `2h`, `7d`, `1w`).
 * `--json` prints one ReceivedEvent per line. `--follow` keeps printing events as they are
 * committed (websocket `/events/out`) until interrupted.
 */
import { WebSocket } from 'ws';
import { FLAGS_ONLY, loadOptions } from '../config/load.ts';
import type { OptionSpec, OptionsOf } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import {
  API_KEY_OPTION,
  apiOption,
  keyHeaders,
  networkCause,
  parseSince,
  resolveApiKey,
  resolveApiUrl,
  websocketUrl as wsUrl,
} from './api-client.ts';

export const eventsOptions = {
  api: apiOption,
  'api-key': API_KEY_OPTION,
  filter: { type: 'string', help: 'An EventFilter as JSON; the other options are merged into it.' },
  event: { type: 'list', help: 'Only events whose name starts with this prefix (repeatable).', default: [] },
  resource: { type: 'list', help: 'Only events whose primary resource has this id (repeatable).', default: [] },
  since: {
    type: 'string',
    help: 'Only events since this time: an ISO-8601 time, or a duration back from now (90s, 15m, 2h, 7d).',
  },
  limit: { type: 'int', help: 'How many recent events to print.', default: 50, min: 0, max: 10_000 },
  follow: {
    type: 'bool',
    help: 'After the recent events, keep printing new ones until interrupted.',
    default: false,
    short: 'f',
  },
  json: { type: 'bool', help: 'Print each event as one JSON line.', default: false },
} as const satisfies Record<string, OptionSpec>;

type EventsConfig = OptionsOf<typeof eventsOptions>;

type Received = { id: string; occurred: string; event: string; resource: Record<string, string> };

export function buildFilter(o: EventsConfig): Record<string, unknown> {
  let f: Record<string, unknown> = {};
  if (o.filter) {
    try {
      f = JSON.parse(o.filter);
    } catch (err) {
      throw new AppError('invalid_input', `--filter is not valid JSON: ${(err as Error).message}`);
    }
    if (!f || typeof f !== 'object' || Array.isArray(f))
      throw new AppError('invalid_input', '--filter must be a JSON object (an EventFilter)');
  }
  if (o.event.length) f.event = { ...(f.event as object), prefix: o.event };
  if (o.resource.length) f.resource = { ...(f.resource as object), id: o.resource };
  if (o.since) f.occurred = { ...(f.occurred as object), since: parseSince(o.since) };
  return f;
}

/** What was searched, when nothing was found. */
function nothingFound(o: EventsConfig, api: string): string {
  const what = [
    o.event.length ? ` named ${o.event.map((p) => `${p}…`).join(' or ')}` : '',
    o.resource.length ? ` of ${o.resource.join(' or ')}` : '',
    o.filter ? ' matching --filter' : '',
  ].join('');
  const when = o.since
    ? ` since ${parseSince(o.since)}`
    : " in the server's default window, the last few days (--since looks further back)";
  return `no events${what}${when} at ${api}`;
}

function line(e: Received, json: boolean): string {
  if (json) return JSON.stringify(e);
  const name = e.resource['prefect.resource.name'];
  return `${e.occurred}  ${e.event}  ${e.resource['prefect.resource.id']}${name ? ` (${name})` : ''}`;
}

async function post(url: string, body: unknown, key: string | undefined): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...keyHeaders(key) },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new AppError('unavailable', `cannot reach the API at ${url} (${networkCause(err)})`);
  }
}

async function check(r: Response): Promise<Record<string, unknown>> {
  const text = await r.text();
  if (!r.ok) throw new AppError('invalid_input', `the server answered ${r.status}: ${text}`);
  return JSON.parse(text);
}

/** The most recent `limit` matching events, oldest first. */
async function recent(
  api: string,
  key: string | undefined,
  filter: Record<string, unknown>,
  limit: number,
): Promise<Received[]> {
  const out: Received[] = [];
  if (limit === 0) return out;
  let page = await check(
    await post(`${api}/events/filter`, { filter: { ...filter, order: 'DESC' }, limit: Math.min(limit, 50) }, key),
  );
  for (;;) {
    out.push(...(page.events as Received[]));
    const next = page.next_page as string | null;
    if (out.length >= limit || !next) break;
    // Follow the link on the server we were given (next_page may name the server's public URL).
    const u = new URL(next);
    const r = await fetch(
      `${api}${u.pathname.replace(/^.*?\/events\/filter\/next/, '/events/filter/next')}${u.search}`,
      { headers: keyHeaders(key) },
    );
    page = await check(r);
  }
  return out.slice(0, limit).reverse();
}

function follow(
  api: string,
  key: string | undefined,
  filter: Record<string, unknown>,
  seen: Set<string>,
  since: string,
  json: boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(api, '/events/out'), ['prefect']);
    let stopping = false;
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'auth', token: key ?? null }));
      const occurred = { ...(filter.occurred as object), since };
      ws.send(JSON.stringify({ type: 'filter', filter: { ...filter, occurred }, backfill: true }));
    });
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'event') return;
      const e = msg.event as Received;
      if (seen.has(e.id)) return;
      seen.add(e.id);
      process.stdout.write(`${line(e, json)}\n`);
    });
    ws.on('error', (err) => {
      if (stopping) resolve();
      else reject(new AppError('unavailable', `cannot follow events at ${wsUrl(api, '/events/out')}: ${err.message}`));
    });
    ws.on('close', (code, reason) => {
      if (stopping || code === 1000 || code === 1005) resolve();
      else reject(new AppError('unavailable', `the event stream closed (${code} ${reason.toString()})`));
    });
    // Interrupted (Ctrl-C): a clean exit, whether the stream is open or still connecting.
    const stop = () => {
      stopping = true;
      if (ws.readyState === ws.CONNECTING) ws.terminate();
      else ws.close(1000);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function events(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o } = loadOptions<EventsConfig>(eventsOptions, argv, FLAGS_ONLY, {
    args: [],
    about: 'Prints the most recent events, oldest first.',
  });
  const api = resolveApiUrl(o.api, env);
  const filter = buildFilter(o);
  const start = new Date().toISOString();
  const key = resolveApiKey(o['api-key'], env);
  const shown = await recent(api, key, filter, o.limit);
  for (const e of shown) process.stdout.write(`${line(e, o.json)}\n`);
  if (!shown.length && o.limit > 0)
    process.stderr.write(`${nothingFound(o, api)}${o.follow ? '; waiting for new ones' : ''}\n`);
  if (!o.follow) return;
  // Resume from the newest event shown (or from now), skipping what was printed already.
  const since = shown.length ? shown[shown.length - 1].occurred : start;
  await follow(api, key, filter, new Set(shown.map((e) => e.id)), since, o.json);
}
