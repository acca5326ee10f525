/**
 * `sightline backup --to FILE` and `sightline restore --from FILE`: copies of the embedded store
 * (the database and its text index, `FILE` and `FILE-text`). A backup may be taken while servers
 * write; a restore needs the target's servers stopped. PostgreSQL is backed up with its own tools.
 */
import { ConfigError, loadOptions } from '../config/load.ts';
import { type OptionSpec, serveOptions } from '../config/schema.ts';

const store = { 'data-dir': serveOptions['data-dir'], db: serveOptions.db } as const satisfies Record<
  string,
  OptionSpec
>;

const backupOptions = {
  to: { type: 'string', help: 'The backup file to write (its text index goes beside it as FILE-text).' },
  force: { type: 'bool', help: 'Replace an existing backup file.', default: false },
  ...store,
} as const satisfies Record<string, OptionSpec>;

const restoreOptions = {
  from: { type: 'string', help: "The backup file to restore (a 'sightline backup' file; FILE-text is taken too)." },
  force: {
    type: 'bool',
    help: 'Replace the database at --data-dir/--db (stop its servers first).',
    default: false,
  },
  ...store,
} as const satisfies Record<string, OptionSpec>;

type Copy = Awaited<ReturnType<typeof import('../main.ts').backupStore>>;

function report(verb: string, r: Copy): void {
  const mb = (b: number) => `${(b / 1_048_576).toFixed(1)} MB`;
  const files = r.files.map((f) => `${f.path} (${mb(f.bytes)})`).join(', ');
  process.stdout.write(`${verb} ${files} in ${(r.ms / 1000).toFixed(1)} s (schema version ${r.schemaVersion})\n`);
}

export async function backup(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o } = loadOptions<{ to?: string; force: boolean; db: string }>(backupOptions, argv, env);
  if (!o.to) throw new ConfigError('sightline backup needs --to FILE');
  const { backupStore } = await import('../main.ts');
  report('backed up to', await backupStore(o.db, o.to, { force: o.force }));
}

export async function restore(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options: o } = loadOptions<{ from?: string; force: boolean; db: string }>(restoreOptions, argv, env);
  if (!o.from) throw new ConfigError('sightline restore needs --from FILE');
  const { restoreStore } = await import('../main.ts');
  report('restored', await restoreStore(o.from, o.db, { force: o.force }));
}
