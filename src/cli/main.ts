#!/usr/bin/env node
/** The `sightline` command: dispatches to a subcommand. */
import { AppError } from '../domain/errors.ts';
import { accounts, keys, workspaces } from './admin.ts';
import { events } from './events.ts';
import { logs } from './logs.ts';
import { mcp } from './mcp.ts';
import { runs } from './runs.ts';
import { serve } from './serve.ts';
import { trace } from './trace.ts';

const USAGE = `usage: sightline <command> [options]

commands:
  serve     start the server (native Prefect API on :4200, REST gateway on :8080, MCP on :9090)
  mcp       serve the MCP tools over stdio (mcp --stdio), for desktop agents
  logs      print a flow run's logs (--follow for new ones as they arrive)
  events    print recent events and follow new ones (--follow)
  runs      list flow runs (--flow, --state, --since, --json)
  trace     print the run tree of a flow run: flow → tasks → subflows (--json)
  accounts  create and list accounts (--data-dir or --db: works beside a running server)
  workspaces create and list workspaces
  keys      create, list and revoke API keys (for --auth)

Every option --foo-bar can also be set as SIGHTLINE_FOO_BAR. Run 'sightline <command> --help'.
`;

const commands: Record<string, (argv: string[], env: NodeJS.ProcessEnv) => Promise<void>> = {
  serve,
  mcp,
  logs,
  events,
  runs,
  trace,
  accounts,
  workspaces,
  keys,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`unknown command '${name}'\n\n${USAGE}`);
    process.exit(2);
  }
  await command(rest, process.env);
}

main(process.argv.slice(2)).catch((err) => {
  const message = err instanceof AppError ? err.message : (err?.stack ?? String(err));
  process.stderr.write(`sightline: ${message}\n`);
  process.exit(err instanceof AppError ? 2 : 1);
});
