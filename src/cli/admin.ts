/**
 * Administration commands, run against the store itself (`--data-dir` or `--db`), also while
 * servers use it:
 *
 *   sightline accounts create --name N [--handle H] | accounts list
 *   sightline workspaces create --account A --name N --handle H [--description D] | workspaces list [--account A]
 *   sightline workspaces set-retention W [--account A] [--logs D] [--events D] [--runs D]
 *   sightline keys create --account A [--workspace W]… --scope read|write|admin [--name N] [--expires 30d|ISO]
 *                         [--rate-limit-requests N] [--rate-limit-items N]
 *   sightline keys list [--account A] | keys revoke ID
 *
 * Accounts and workspaces are named by id or handle. `keys create` prints the new key alone on the
 * last line of stdout: the only time it is shown.
 */
import { workspaceCreateSchema } from '../api/routes/workspaces.ts';
import { DURATION_HELP, parseDuration } from '../config/duration.ts';
import { ConfigError, HelpRequested, loadOptions } from '../config/load.ts';
import { parseRetention } from '../config/retention.ts';
import { type OptionSpec, type OptionsOf, serveOptions } from '../config/schema.ts';
import { type ApiKey, describeKey, KEY_SCOPES, type KeyScope } from '../domain/access.ts';
import { parseOrThrow } from '../domain/errors.ts';
import { formatMicros, type Micros, nowMicros, parseIsoMicros } from '../domain/time.ts';
import {
  createAccount,
  createKey,
  findAccount,
  listAccounts,
  listKeys,
  listWorkspaces,
  revokeKey,
} from '../ops/access/admin.ts';
import type { StoreServices } from '../ops/context.ts';
import { findWorkspace, setWorkspaceRetention } from '../ops/retention/settings.ts';
import { createWorkspace } from '../ops/tenancy/accounts.ts';

const storeOptions = {
  'data-dir': serveOptions['data-dir'],
  db: serveOptions.db,
  sync: serveOptions.sync,
  json: { type: 'bool', help: 'Print each row as one JSON line.', default: false },
} as const satisfies Record<string, OptionSpec>;

export const accountsOptions = {
  name: { type: 'string', help: 'accounts create: the account name.' },
  handle: { type: 'string', help: 'accounts create: its handle (default: made from the name).' },
  ...storeOptions,
} as const satisfies Record<string, OptionSpec>;

export const workspacesOptions = {
  account: { type: 'string', help: 'The account (id or handle); create: required, list: only its workspaces.' },
  name: { type: 'string', help: 'workspaces create: the workspace name.' },
  handle: { type: 'string', help: 'workspaces create: its handle (lowercase letters, digits, single hyphens).' },
  description: { type: 'string', help: 'workspaces create: a description.' },
  logs: {
    type: 'string',
    help: `For set-retention: how long the workspace keeps logs: ${DURATION_HELP}; 0 or off = forever; flag = as the server's flag says.`,
  },
  events: {
    type: 'string',
    help: 'For set-retention: how long it keeps events (same values; set, the event-name overrides no longer apply).',
  },
  runs: { type: 'string', help: 'For set-retention: how long it keeps finished run trees (same values).' },
  ...storeOptions,
} as const satisfies Record<string, OptionSpec>;

export const keysOptions = {
  account: { type: 'string', help: 'The account (id or handle); create: required, list: only its keys.' },
  workspace: {
    type: 'list',
    help: 'keys create: a workspace (id or handle) the key may reach (repeatable); none = account-wide.',
    default: [],
  },
  scope: { type: 'string', help: 'keys create: what the key may do: read, write or admin.', choices: KEY_SCOPES },
  name: { type: 'string', help: 'keys create: a name to tell the key by.' },
  expires: { type: 'string', help: `keys create: when the key stops working: ${DURATION_HELP}, or an ISO-8601 time.` },
  'rate-limit-requests': {
    type: 'int',
    help: "keys create: API requests a minute for this key, instead of the server's --rate-limit-requests (0 = no limit).",
    min: 0,
  },
  'rate-limit-items': {
    type: 'int',
    help: "keys create: items written a minute for this key, instead of the server's --rate-limit-items (0 = no limit).",
    min: 0,
  },
  ...storeOptions,
} as const satisfies Record<string, OptionSpec>;

type Specs = Record<string, OptionSpec>;

function print(lines: string[]): void {
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
}

/** Tab-separated rows under a header, or one JSON object per row. */
function table(rows: Record<string, unknown>[], json: boolean): void {
  if (json) {
    print(rows.map((r) => JSON.stringify(r)));
    return;
  }
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const text = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  print([cols.join('\t'), ...rows.map((r) => cols.map((c) => text(r[c])).join('\t'))]);
}

function required<T>(value: T | undefined, flag: string, command: string): T {
  if (value === undefined || value === '') throw new ConfigError(`sightline ${command} needs --${flag}`);
  return value;
}

/** Runs `fn` with the store named by --data-dir/--db, closing it after. */
async function withStore<T>(o: { db: string; sync: string }, fn: (s: StoreServices) => Promise<T>): Promise<T> {
  // The store's code loads only now: `--help` and a bad flag answer at once.
  const { openAdministration } = await import('../main.ts');
  const admin = await openAdministration({ db: o.db, sync: o.sync as 'normal' });
  try {
    return await fn(admin.services);
  } finally {
    await admin.close();
  }
}

/** Parses a command line `<command> <action> [options]`: the action and the options. */
function parse<S extends Specs>(
  command: string,
  usage: string,
  specs: S,
  actions: readonly string[],
  argv: string[],
  env: NodeJS.ProcessEnv,
): { action: string; args: string[]; o: OptionsOf<S> } {
  const shape = { about: `actions:\n${usage}` };
  const { options: o, positionals } = loadOptions<OptionsOf<S>>(specs, argv, env, shape);
  if (positionals.length === 0) throw new HelpRequested(specs, shape, true);
  const [action, ...args] = positionals;
  if (!actions.includes(action))
    throw new ConfigError(`sightline ${command}: unknown action '${action}' (one of ${actions.join(', ')})`);
  return { action, args, o };
}

const ACCOUNTS_USAGE = '  sightline accounts create --name N [--handle H]\n  sightline accounts list';

export async function accounts(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { action, o } = parse('accounts', ACCOUNTS_USAGE, accountsOptions, ['create', 'list'], argv, env);
  await withStore(o, async (s) => {
    if (action === 'create') {
      const a = await createAccount(s, { name: required(o.name, 'name', 'accounts create'), handle: o.handle });
      table([{ id: a.id, name: a.name, handle: a.handle }], o.json);
    } else
      table(
        (await listAccounts(s)).map((a) => ({ id: a.id, name: a.name, handle: a.handle })),
        o.json,
      );
  });
}

const WORKSPACES_USAGE =
  '  sightline workspaces create --account A --name N --handle H [--description D]\n  sightline workspaces list [--account A]\n' +
  '  sightline workspaces set-retention W [--account A] [--logs D] [--events D] [--runs D]';

/** A `set-retention` value: seconds, or null for `flag` (the server's flag decides); absent = unchanged. */
function retentionValue(raw: string | undefined, flag: string): number | null | undefined {
  if (raw === undefined) return undefined;
  return raw.trim().toLowerCase() === 'flag' ? null : parseRetention(raw, flag);
}

export async function workspaces(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { action, args, o } = parse(
    'workspaces',
    WORKSPACES_USAGE,
    workspacesOptions,
    ['create', 'list', 'set-retention'],
    argv,
    env,
  );
  if (action === 'set-retention' && args.length !== 1)
    throw new ConfigError('sightline workspaces set-retention needs the workspace (id or handle)');
  const change = {
    logs: retentionValue(o.logs, '--logs'),
    events: retentionValue(o.events, '--events'),
    runs: retentionValue(o.runs, '--runs'),
  };
  await withStore(o, async (s) => {
    if (action === 'set-retention') {
      const ws = await findWorkspace(s, args[0], o.account);
      const set = await setWorkspaceRetention(s, ws.id, change);
      const show = (v: number | null) => (v === null ? 'flag' : v === 0 ? 'forever' : `${v}s`);
      table([{ workspace: ws.handle, logs: show(set.logs), events: show(set.events), runs: show(set.runs) }], o.json);
    } else if (action === 'create') {
      const account = await findAccount(s, required(o.account, 'account', 'workspaces create'));
      const body = parseOrThrow(
        workspaceCreateSchema,
        {
          name: required(o.name, 'name', 'workspaces create'),
          handle: required(o.handle, 'handle', 'workspaces create'),
          ...(o.description !== undefined ? { description: o.description } : {}),
        },
        [],
      );
      const ws = await createWorkspace(s, account.id, body);
      table([{ id: ws.id, account: account.handle, name: ws.name, handle: ws.handle }], o.json);
    } else {
      const list = await listWorkspaces(s, o.account);
      const all = await listAccounts(s);
      const handle = (id: string) => all.find((a) => a.id === id)?.handle ?? id;
      table(
        list.map((w) => ({
          id: w.id,
          account: handle(w.accountId),
          name: w.name,
          handle: w.handle,
          default: w.isDefault,
          description: w.description ?? '',
        })),
        o.json,
      );
    }
  });
}

/** `--expires`: a duration from now, or an ISO-8601 time. */
export function parseExpires(raw: string | undefined, now: Micros = nowMicros()): Micros | null {
  if (raw === undefined) return null;
  const seconds = parseDuration(raw);
  if (typeof seconds === 'number') return now + seconds * 1_000_000;
  const at = parseIsoMicros(raw.trim());
  if (at === undefined) throw new ConfigError(`--expires must be ${DURATION_HELP}, or an ISO-8601 time; got '${raw}'`);
  return at;
}

function keyRow(k: ApiKey): Record<string, unknown> {
  const d = describeKey(k);
  const time = (t: Micros | null) => (t === null ? null : formatMicros(t));
  return {
    id: d.id,
    name: d.name,
    prefix: d.prefix,
    scope: d.scope,
    account: d.accountId,
    workspaces: d.workspaceIds ?? 'all',
    created: time(d.created),
    expires: time(d.expires),
    revoked: time(d.revoked),
    last_used: time(d.lastUsed),
    rate_limit_requests: d.rateLimitRequests,
    rate_limit_items: d.rateLimitItems,
  };
}

const KEYS_USAGE = `  sightline keys create --account A [--workspace W]… --scope read|write|admin [--name N] [--expires 30d|ISO-8601]
                        [--rate-limit-requests N] [--rate-limit-items N]
  sightline keys list [--account A]
  sightline keys revoke ID`;

export async function keys(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { action, o, args } = parse('keys', KEYS_USAGE, keysOptions, ['create', 'list', 'revoke'], argv, env);
  await withStore(o, async (s) => {
    if (action === 'create') {
      const { key, secret } = await createKey(s, {
        account: required(o.account, 'account', 'keys create'),
        workspaces: o.workspace,
        scope: required(o.scope, 'scope', 'keys create') as KeyScope,
        name: o.name,
        expires: parseExpires(o.expires),
        rateLimitRequests: o['rate-limit-requests'] ?? null,
        rateLimitItems: o['rate-limit-items'] ?? null,
      });
      table([keyRow(key)], o.json);
      // The secret alone on the last line, so that scripts can take it with `tail -1`.
      print([secret]);
    } else if (action === 'list') table((await listKeys(s, o.account)).map(keyRow), o.json);
    else {
      if (args.length !== 1) throw new ConfigError('usage: sightline keys revoke ID');
      table([keyRow(await revokeKey(s, args[0]))], o.json);
    }
  });
}
