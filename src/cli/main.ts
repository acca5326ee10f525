/**
 * The `sightline` command (run through `bin/sightline.js`): dispatches to a subcommand, importing
 * only that command's code, so that `--help` or a client command does not load the server.
 */
import { ConfigError, HelpRequested } from '../config/load.ts';
import { StartupError } from '../config/startup-error.ts';
import { SIGHTLINE_VERSION } from '../config/version.ts';
import { AppError } from '../domain/errors.ts';
import { commandHelp } from './help.ts';

const USAGE = `usage: sightline <command> [options]

commands:
  serve       Start the server (native Prefect API on :4200, REST gateway on :8080, MCP on :9090).
  mcp         Serve the MCP tools over stdio (mcp --stdio), for desktop agents.
  logs        Print a flow run's logs (--follow for new ones as they arrive).
  events      Print recent events (--follow for new ones as they arrive).
  runs        List flow runs (--flow, --state, --since, --json).
  trace       Print the run tree of a flow run: flow → tasks → subflows (--json).
  accounts    Create and list accounts (--data-dir or --db: works beside a running server).
  workspaces  Create and list workspaces; set a workspace's own retention.
  keys        Create, list and revoke API keys (for --auth).
  webhooks    Create, list and delete webhooks on events (--data-dir or --db); show their deliveries.
  backup      Copy the embedded database to a file while servers keep writing (--to FILE).
  restore     Restore a backup into --data-dir (--from FILE; servers stopped).
  migrate     Copy an SQLite store into PostgreSQL (--from sqlite:<path> --to postgres://…), verified.
  retention   retention run: sweep now by the retention settings (--dry-run prints what would go).
  db          db vacuum: shrink an SQLite database after retention (servers stopped).

'sightline <command> --help' lists a command's options; 'sightline --version' prints the version.
`;

type Command = (argv: string[], env: NodeJS.ProcessEnv) => Promise<void>;

const commands: Record<string, Command> = {
  serve: async (argv, env) => (await import('./serve.ts')).serve(argv, env),
  mcp: async (argv, env) => (await import('./mcp.ts')).mcp(argv, env),
  logs: async (argv, env) => (await import('./logs.ts')).logs(argv, env),
  events: async (argv, env) => (await import('./events.ts')).events(argv, env),
  runs: async (argv, env) => (await import('./runs.ts')).runs(argv, env),
  trace: async (argv, env) => (await import('./trace.ts')).trace(argv, env),
  accounts: async (argv, env) => (await import('./admin.ts')).accounts(argv, env),
  workspaces: async (argv, env) => (await import('./admin.ts')).workspaces(argv, env),
  keys: async (argv, env) => (await import('./admin.ts')).keys(argv, env),
  webhooks: async (argv, env) => (await import('./webhooks.ts')).webhooks(argv, env),
  backup: async (argv, env) => (await import('./backup.ts')).backup(argv, env),
  restore: async (argv, env) => (await import('./backup.ts')).restore(argv, env),
  migrate: async (argv, env) => (await import('./migrate.ts')).migrate(argv, env),
  retention: async (argv, env) => (await import('./retention.ts')).retention(argv, env),
  db: async (argv, env) => (await import('./retention.ts')).db(argv, env),
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`sightline ${SIGHTLINE_VERSION}\n`);
    return;
  }
  if (name === 'help' && rest.length) return main([rest[0], '--help']);
  const command = commands[name];
  if (!command) throw new ConfigError(`unknown command '${name}'\n\n${USAGE}`);
  try {
    await command(rest, process.env);
  } catch (err) {
    if (err instanceof HelpRequested) process.stdout.write(commandHelp(name, err));
    else if (err instanceof ConfigError)
      throw new ConfigError(`${err.message} ('sightline ${name} --help' lists the options)`);
    else throw err;
  }
}

/** `--log-level debug` (or SIGHTLINE_LOG_LEVEL=debug) shows the stack of a failure. */
function debugging(argv: string[]): boolean {
  const i = argv.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='));
  const level = i < 0 ? process.env.SIGHTLINE_LOG_LEVEL : (argv[i].split('=')[1] ?? argv[i + 1]);
  return level === 'debug';
}

const argv = process.argv.slice(2);
main(argv).catch((err) => {
  // One line: a usage error (exit 2), or a failure to start or to get an answer (exit 1). The stack
  // only when debugging: these are the user's to fix, not bugs.
  const known = err instanceof AppError || err instanceof StartupError;
  const stack = debugging(argv)
    ? `\n${err?.cause?.stack ?? err?.stack ?? ''}`
    : known
      ? ''
      : ' (--log-level debug shows where)';
  process.stderr.write(`sightline: ${err?.message ?? err}${stack}\n`);
  process.exit(err instanceof AppError ? 2 : 1);
});
