/** Starts a Sightline for a test: a fresh database, silent logs, in-process requests. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadOptions } from '../../src/config/load.ts';
import { type ServeConfig, serveOptions } from '../../src/config/schema.ts';
import { createSightline, type Sightline } from '../../src/main.ts';
import type { EventSink } from '../../src/ops/runs/event-sink.ts';
import { type Engine, tempDir } from './engines.ts';

export interface TestServer {
  app: Sightline;
  config: ServeConfig;
  accountId: string;
  workspaceId: string;
  /** `/api` + path. */
  oss(path: string): string;
  /** `/api/accounts/{a}/workspaces/{w}` + path, for the default workspace unless one is given. */
  cloud(path: string, workspaceId?: string): string;
  request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** Starts listening on a free loopback port and returns the API base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** What a test may wire in instead of the defaults of the composition root. */
export interface TestWiring {
  eventSink?: EventSink;
  /** The time retention sweeps read (tests move it instead of waiting). */
  clock?: () => number;
  /** Time between webhook delivery rounds without new events (ms). */
  webhookPollMs?: number;
}

export async function startServer(
  engine: Engine,
  overrides: Record<string, string> = {},
  wiring: TestWiring = {},
): Promise<TestServer> {
  const argv = [
    '--port',
    '0',
    '--rest-port',
    '0',
    '--mcp-port',
    '0',
    '--data-dir',
    tempDir(),
    '--db',
    await engine.newDatabaseUrl(),
    '--log-level',
    'silent',
  ];
  for (const [k, v] of Object.entries(overrides)) argv.push(`--${k}=${v}`);
  const { options: config } = loadOptions<ServeConfig>(serveOptions, argv, {});
  return startWithConfig(config, wiring);
}

export async function startWithConfig(config: ServeConfig, wiring: TestWiring = {}): Promise<TestServer> {
  const app = await createSightline(config, {
    eventSink: wiring.eventSink,
    clock: wiring.clock,
    webhookPollMs: wiring.webhookPollMs,
  });
  const { account, workspace } = app.services.defaults;
  const prefix = (w: string) => `/api/accounts/${account.id}/workspaces/${w}`;
  return {
    app,
    config,
    accountId: account.id,
    workspaceId: workspace.id,
    oss: (path) => `/api${path}`,
    cloud: (path, w = workspace.id) => prefix(w) + path,
    request(method, url, body, headers = {}) {
      const opts: InjectOptions = { method, url, headers: { ...headers } };
      if (body !== undefined) {
        opts.payload = typeof body === 'string' ? body : JSON.stringify(body);
        opts.headers = { 'content-type': 'application/json', ...headers };
      }
      return app.api.inject(opts);
    },
    async listen() {
      await app.listen();
      return app.apiUrl!;
    },
    close: () => app.close(),
  };
}
