/**
 * The capability engine as the composition root uses it: load and validate the files, bind them
 * to the local API (in-process) or `--upstream`, and start the REST and MCP listeners on demand.
 */
import type { FastifyInstance } from 'fastify';
import type { Door } from '../api/access.ts';
import type { ServeConfig } from '../config/schema.ts';
import { SIGHTLINE_VERSION } from '../config/version.ts';
import type { Account, Workspace } from '../domain/tenancy.ts';
import { type BoundCapabilities, bindCapabilities } from './engine.ts';
import { CapabilityListeners } from './listeners.ts';
import { loadCapabilities } from './loader.ts';
import type { McpToolSet } from './mcp-adapter.ts';
import type { CapabilitySet } from './model.ts';

export interface CapabilityService {
  readonly set: CapabilitySet;
  readonly bound: BoundCapabilities;
  /** `http://host:port/v1` per REST listener, once listening. */
  readonly restUrls: string[];
  /** `http://host:port/mcp` per MCP listener, once listening. */
  readonly mcpUrls: string[];
  listen(): Promise<void>;
  close(): Promise<void>;
}

export function startCapabilities(
  config: ServeConfig,
  api: FastifyInstance,
  defaults: { account: Account; workspace: Workspace },
  opts: { env?: Record<string, string | undefined>; logger?: boolean | object; door?: Door } = {},
): CapabilityService {
  const env = opts.env ?? process.env;
  const set = loadCapabilities({ paths: config.capabilities, env, nativeApi: !config.upstream });
  const bound = bindCapabilities({
    set,
    native: {
      app: api,
      defaults: { account_id: defaults.account.id, workspace_id: defaults.workspace.id },
      perCaller: config.auth,
    },
    upstream: config.upstream,
    upstreamKey: config['upstream-key'] ?? (env.PREFECT_API_KEY || undefined),
    timeoutMs: config['upstream-timeout-ms'],
  });
  const listeners = new CapabilityListeners(bound, {
    host: config.host,
    restPort: config['rest-port'],
    mcpPort: config['mcp-port'],
    maxChars: config['mcp-max-chars'],
    mcpTools: config['mcp-tools'] as McpToolSet,
    mcpReadOnly: config['mcp-read-only'],
    bodyLimit: config['max-body'],
    http: config,
    version: SIGHTLINE_VERSION,
    logger: opts.logger,
    door: opts.door,
  });
  let started = false;
  return {
    set,
    bound,
    restUrls: listeners.restUrls,
    mcpUrls: listeners.mcpUrls,
    async listen() {
      if (started) return;
      started = true;
      await listeners.start();
    },
    close: () => (started ? listeners.close() : Promise.resolve()),
  };
}
