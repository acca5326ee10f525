/**
 * `sightline retention run --data-dir D | --db URL [--dry-run]`: one retention sweep now, with the
 * server's retention flags (and environment); `--dry-run` prints what would go.
 * `sightline db vacuum --data-dir D`: gives SQLite's freed pages back to the file system (servers
 * stopped).
 */
import { ConfigError, loadOptions } from '../config/load.ts';
import { retentionFlags } from '../config/retention.ts';
import { type OptionSpec, type OptionsOf, serveOptions } from '../config/schema.ts';
import { formatMicros, nowMicros } from '../domain/time.ts';
import { listWorkspaces } from '../ops/access/admin.ts';
import { compactStore, sweepRetention } from '../ops/retention/sweep.ts';

const storeOptions = {
  'data-dir': serveOptions['data-dir'],
  db: serveOptions.db,
  sync: serveOptions.sync,
} as const satisfies Record<string, OptionSpec>;

export const retentionOptions = {
  'retention-logs': serveOptions['retention-logs'],
  'retention-events': serveOptions['retention-events'],
  'retention-runs': serveOptions['retention-runs'],
  'retention-events-override': serveOptions['retention-events-override'],
  'retention-batch': serveOptions['retention-batch'],
  'dry-run': { type: 'bool', help: 'Count what would go; remove nothing.', default: false },
  json: { type: 'bool', help: 'Print each workspace as one JSON line.', default: false },
  ...storeOptions,
} as const satisfies Record<string, OptionSpec>;

async function open(o: { db: string; sync: string }) {
  const { openAdministration } = await import('../main.ts');
  return openAdministration({ db: o.db, sync: o.sync as 'normal' });
}

export async function retention(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o, positionals } = loadOptions<OptionsOf<typeof retentionOptions>>(retentionOptions, argv, env, {
    args: ['run'],
    about: "Sweeps now: removes what the retention settings (the flags below, or a workspace's own) let go.",
  });
  if (positionals[0] !== 'run')
    throw new ConfigError(`sightline retention: unknown action '${positionals[0]}' (one of run)`);
  const flags = retentionFlags(o);
  const admin = await open(o);
  try {
    const sweeps = await sweepRetention(admin.services, {
      flags,
      batch: o['retention-batch'],
      now: nowMicros,
      dryRun: o['dry-run'],
    });
    if (!sweeps) throw new ConfigError('another retention sweep is running on this database; try again later');
    const handles = new Map((await listWorkspaces(admin.services)).map((w) => [w.id, w.handle]));
    const verb = o['dry-run'] ? 'would remove' : 'removed';
    for (const s of sweeps) {
      if (s.workspaceId === null && !o.json && s.removed.events === 0) continue;
      const workspace =
        s.workspaceId === null
          ? `account ${s.accountId} (account-level events)`
          : (handles.get(s.workspaceId) ?? s.workspaceId);
      const row = { workspace, ...s.removed, at: formatMicros(s.started) };
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ ...row, dry_run: o['dry-run'] })}\n`
          : `${row.workspace}: ${verb} ${s.removed.logs} logs, ${s.removed.events} events, ${s.removed.runs} run trees (${s.removed.spans} runs and task runs)\n`,
      );
    }
  } finally {
    await admin.close();
  }
}

export const dbOptions = storeOptions;

export async function db(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o, positionals } = loadOptions<OptionsOf<typeof dbOptions>>(dbOptions, argv, env, {
    args: ['vacuum'],
    about: 'Shrinks an SQLite database after retention removed data (stop the servers using it first).',
  });
  if (positionals[0] !== 'vacuum')
    throw new ConfigError(`sightline db: unknown action '${positionals[0]}' (one of vacuum)`);
  const admin = await open(o);
  try {
    const { before, after } = await compactStore(admin.services);
    process.stdout.write(`vacuumed: ${before} bytes before, ${after} after\n`);
  } finally {
    await admin.close();
  }
}
