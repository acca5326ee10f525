/**
 * `sightline webhooks create|list|delete|deliveries`: a workspace's webhook rules, managed against
 * the store itself (`--data-dir` or `--db`), like `workspaces set-retention`, also while servers
 * use it; the servers pick a new rule up at their next delivery round.
 *
 *   sightline webhooks create --url URL [--workspace W] [--account A] [--filter JSON | --event NAME…]
 *                             [--format json|slack] [--secret S]
 *   sightline webhooks list [--workspace W] | webhooks delete ID | webhooks deliveries ID [--limit N]
 */
import { renderDelivery, renderWebhook } from '../api/routes/webhooks.ts';
import { ConfigError, HelpRequested, loadOptions } from '../config/load.ts';
import { type OptionSpec, type OptionsOf, serveOptions } from '../config/schema.ts';
import { parseOrThrow } from '../domain/errors.ts';
import { WEBHOOK_FORMATS, webhookCreateSchema } from '../domain/webhooks.ts';
import { findWorkspace } from '../ops/retention/settings.ts';
import { createWebhook, deleteWebhook, listWebhooks, webhookDeliveries } from '../ops/webhooks/rules.ts';

export const webhooksOptions = {
  workspace: { type: 'string', help: 'The workspace (id or handle); without it, the one made at the first start.' },
  account: { type: 'string', help: "The workspace's account (id or handle), when its handle is not unique." },
  url: { type: 'string', help: 'webhooks create: where deliveries are POSTed (http or https).' },
  event: {
    type: 'list',
    help: 'webhooks create: an event name to deliver, e.g. prefect.flow-run.Failed (repeatable); a shorthand for --filter.',
    default: [],
  },
  filter: {
    type: 'string',
    help: 'webhooks create: the events filter as JSON, as the events API takes it, e.g. {"event":{"prefix":["prefect.flow-run."]}}.',
  },
  format: {
    type: 'string',
    help: 'webhooks create: json (the event and a run link) or slack ({text}).',
    choices: WEBHOOK_FORMATS,
  },
  secret: {
    type: 'string',
    help: 'webhooks create: the signing secret, 16 characters or more (default: a random one, printed once).',
  },
  limit: { type: 'int', help: 'webhooks deliveries: how many, newest first.', default: 50, min: 1, max: 200 },
  'data-dir': serveOptions['data-dir'],
  db: serveOptions.db,
  sync: serveOptions.sync,
  json: { type: 'bool', help: 'Print each row as one JSON line.', default: false },
} as const satisfies Record<string, OptionSpec>;

const USAGE = `  sightline webhooks create --url URL [--event NAME]… [--filter JSON] [--format json|slack] [--secret S] [--workspace W]
  sightline webhooks list [--workspace W]
  sightline webhooks delete ID [--workspace W]
  sightline webhooks deliveries ID [--workspace W] [--limit N]`;

const ACTIONS = ['create', 'list', 'delete', 'deliveries'];

function print(rows: Record<string, unknown>[], json: boolean): void {
  const text = (v: unknown) => (v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const lines = json
    ? rows.map((r) => JSON.stringify(r))
    : rows.length
      ? [Object.keys(rows[0]).join('\t'), ...rows.map((r) => Object.values(r).map(text).join('\t'))]
      : [];
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
}

/** The create body from the flags: `--filter` JSON, with `--event` names added to it. */
function createBody(o: OptionsOf<typeof webhooksOptions>): unknown {
  if (!o.url) throw new ConfigError('sightline webhooks create needs --url');
  let filter: Record<string, unknown> | undefined;
  if (o.filter !== undefined) {
    try {
      filter = JSON.parse(o.filter) as Record<string, unknown>;
    } catch {
      throw new ConfigError('--filter must be JSON (an events filter object)');
    }
  }
  if (o.event.length) filter = { ...filter, event: { ...(filter?.event as object), name: o.event } };
  return {
    url: o.url,
    ...(filter ? { filter } : {}),
    ...(o.format ? { format: o.format } : {}),
    ...(o.secret ? { secret: o.secret } : {}),
  };
}

export async function webhooks(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const shape = { about: `actions:\n${USAGE}` };
  const { options: o, positionals } = loadOptions<OptionsOf<typeof webhooksOptions>>(webhooksOptions, argv, env, shape);
  if (positionals.length === 0) throw new HelpRequested(webhooksOptions, shape, true);
  const [action, ...args] = positionals;
  if (!ACTIONS.includes(action))
    throw new ConfigError(`sightline webhooks: unknown action '${action}' (one of ${ACTIONS.join(', ')})`);
  if ((action === 'delete' || action === 'deliveries') && args.length !== 1)
    throw new ConfigError(`sightline webhooks ${action} needs the webhook id`);
  const body = action === 'create' ? parseOrThrow(webhookCreateSchema, createBody(o), ['body']) : undefined;
  const { openAdministration } = await import('../main.ts');
  const admin = await openAdministration({ db: o.db, sync: o.sync as 'normal' });
  try {
    const s = admin.services;
    const ws = o.workspace === undefined ? s.defaults.workspace : await findWorkspace(s, o.workspace, o.account);
    if (body) {
      const w = await createWebhook(s, ws.id, body);
      print([{ ...renderWebhook(w), workspace: ws.handle }], o.json);
      // Alone on the last line, like a new key: the only time it is shown.
      if (!o.json) process.stdout.write(`secret: ${w.secret}\n`);
      else print([{ secret: w.secret }], true);
    } else if (action === 'list') print((await listWebhooks(s, ws.id)).map(renderWebhook), o.json);
    else if (action === 'delete') {
      await deleteWebhook(s, ws.id, args[0]);
      print([{ deleted: args[0] }], o.json);
    } else
      print((await webhookDeliveries(s, ws.id, args[0], { limit: o.limit, offset: 0 })).map(renderDelivery), o.json);
  } finally {
    await admin.close();
  }
}
