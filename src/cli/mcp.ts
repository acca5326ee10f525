/**
 * `sightline mcp --stdio`: the MCP tools over stdio, for desktop agents. It reaches a running
 * Sightline through --api (else SIGHTLINE_API_URL, else PREFECT_API_URL), or, given --data-dir
 * or --db (or when no API is named), opens the store in-process. Nothing but JSON-RPC is
 * written to stdout; problems go to stderr.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { type BoundCapabilities, bindCapabilities } from '../capabilities/engine.ts';
import { loadCapabilities, problemsToReport } from '../capabilities/loader.ts';
import { type McpToolSet, mcpServerFactory } from '../capabilities/mcp-adapter.ts';
import { formatProblem } from '../capabilities/yaml-source.ts';
import { ConfigError, loadOptions } from '../config/load.ts';
import {
  capabilityOptions,
  type OptionSpec,
  type OptionsOf,
  type ServeConfig,
  serveOptions,
} from '../config/schema.ts';
import { SIGHTLINE_VERSION } from '../config/version.ts';
import type { Sightline } from '../main.ts';
import { API_KEY_OPTION, reachable, resolveApiKey } from './api-client.ts';
import { startupFailure } from './startup-failure.ts';

const mcpOptions = {
  stdio: { type: 'bool', help: 'Serve MCP over stdin/stdout (the only transport of this command).', default: false },
  api: {
    type: 'string',
    help: 'The running Sightline whose tools to serve: its /api URL or a Cloud-style workspace URL (default: SIGHTLINE_API_URL, else PREFECT_API_URL; none: the store of --data-dir or --db).',
  },
  'api-key': API_KEY_OPTION,
  'data-dir': serveOptions['data-dir'],
  db: serveOptions.db,
  sync: serveOptions.sync,
  capabilities: capabilityOptions.capabilities,
  'mcp-max-chars': capabilityOptions['mcp-max-chars'],
  'mcp-tools': capabilityOptions['mcp-tools'],
  'mcp-read-only': capabilityOptions['mcp-read-only'],
} as const satisfies Record<string, OptionSpec>;

type McpConfig = OptionsOf<typeof mcpOptions>;

function explicitStore(argv: string[], env: NodeJS.ProcessEnv): boolean {
  return argv.some((a) => /^--(data-dir|db)(=|$)/.test(a)) || !!env.SIGHTLINE_DATA_DIR || !!env.SIGHTLINE_DB;
}

export async function mcp(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options } = loadOptions<McpConfig>(mcpOptions, argv, env, {
    args: [],
    about:
      "Serves Sightline's MCP tools over stdio. With --api (or SIGHTLINE_API_URL, PREFECT_API_URL) it calls that running Sightline; with --data-dir or --db, or when no API is named, it opens the store itself.",
  });
  if (!options.stdio)
    throw new ConfigError(
      'sightline mcp serves stdio only: pass --stdio (the HTTP MCP server runs inside sightline serve)',
    );
  const api = explicitStore(argv, env)
    ? undefined
    : (options.api ?? (env.SIGHTLINE_API_URL || env.PREFECT_API_URL || undefined));

  let app: Sightline | undefined;
  let bound: BoundCapabilities;
  if (api) {
    await reachable(api);
    process.stderr.write(`serving the tools of the API at ${api}\n`);
    const set = loadCapabilities({ paths: options.capabilities, env });
    report(problemsToReport(set.problems, false).map(formatProblem));
    bound = bindCapabilities({
      set,
      upstream: api,
      upstreamKey: resolveApiKey(options['api-key'], env),
      upstreamIsSightline: true,
    });
  } else {
    // The server's defaults, with this command's store and capability options.
    const config: ServeConfig = {
      ...loadOptions<ServeConfig>(serveOptions, [], {}).options,
      'data-dir': options['data-dir'],
      db: options.db,
      sync: options.sync,
      'log-level': 'silent',
      capabilities: options.capabilities,
    };
    process.stderr.write(
      `serving the tools of the store ${config.db} (no API named: --api, SIGHTLINE_API_URL or PREFECT_API_URL serve a running Sightline)\n`,
    );
    const { createSightline } = await import('../main.ts');
    app = await createSightline(config, { logger: false, env }).catch((err) => {
      throw startupFailure(err, config);
    });
    bound = app.capabilities!.bound;
    report(problemsToReport(app.capabilities!.set.problems, false).map(formatProblem));
  }
  report(bound.summary.map((l) => `capabilities: ${l}`));

  const handle = serveStdio(
    mcpServerFactory(bound.allTools, {
      maxChars: options['mcp-max-chars'],
      version: SIGHTLINE_VERSION,
      instructions: bound.instructions,
      agent: bound.agentTarget,
      tools: options['mcp-tools'] as McpToolSet,
      readOnly: options['mcp-read-only'],
    }),
    {
      onerror: (err) => process.stderr.write(`mcp: ${err.message}\n`),
    },
  );
  const stop = async () => {
    await handle.close().catch(() => {});
    await app?.close();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function report(lines: string[]): void {
  if (lines.length) process.stderr.write(`${lines.join('\n')}\n`);
}
