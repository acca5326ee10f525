/** `sightline serve`: start the server and print where everything is. */
import { setFlagsFromString } from 'node:v8';
import { loadOptions } from '../config/load.ts';
import { type ServeConfig, serveOptions } from '../config/schema.ts';
import { logLoopDelay } from './loop-delay.ts';
import { progress } from './progress.ts';
import { serverLogger } from './server-log.ts';
import { startupFailure } from './startup-failure.ts';

const SHUTDOWN_DEADLINE_MS = 4500;

export async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  // Collect the old generation when it reaches 1.5× its live size; V8's default lets ~100 MB of
  // garbage pile up on a 40–60 MB live heap (ADR 20). V8 reads it at every collection, so setting
  // it here works, unlike the young generation's size (a `node` flag in `npm start`).
  setFlagsFromString('--heap-growing-percent=50');
  const { options: config } = loadOptions<ServeConfig>(serveOptions, argv, env, {
    args: [],
    about: 'Starts the server: the native Prefect API, the REST gateway and the MCP server.',
  });
  const starting = progress('starting');
  starting.set('loading the server');
  // The server's code loads only now: `serve --help` and a bad flag answer at once.
  const [{ createSightline }, { listKeys }, { problemsToReport }, { formatProblem }, { SERVE_BASE }] =
    await Promise.all([
      import('../main.ts'),
      import('../ops/access/admin.ts'),
      import('../capabilities/loader.ts'),
      import('../capabilities/yaml-source.ts'),
      import('../api/prefect-ui/bundle.ts'),
    ]);
  const logger = serverLogger(config['log-level'], config['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json'));
  starting.set(`opening ${config.db.replace(/\/\/[^@/]*@/, '//…@')} and the capability files`);
  const app = await createSightline(config, { logger }).catch((err) => {
    starting.done();
    throw startupFailure(err, config);
  });
  starting.done();
  if (app.capabilities && !['silent', 'error'].includes(config['log-level'])) {
    const { set, bound } = app.capabilities;
    const problems = problemsToReport(set.problems, config['log-level'] === 'debug');
    const lines = [...problems.map((p) => formatProblem(p)), ...bound.summary.map((l) => `capabilities: ${l}`)];
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  if (app.prefectUi.note && !['silent', 'error'].includes(config['log-level']))
    process.stderr.write(`${app.prefectUi.note}\n`);
  await app.listen().catch((err) => {
    throw startupFailure(err, config);
  });
  // Before the lines that say it is up: whoever reads them may stop it at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.close().then(
      () => {
        process.stderr.write(`stopped (${signal})\n`);
        process.exit(0);
      },
      (err) => {
        process.stderr.write(`error while stopping: ${err}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const { account, workspace } = app.services.defaults;
  const lines = [
    `api ${app.apiUrl}`,
    `data ${config['data-dir']}`,
    `account ${account.id}`,
    `workspace ${workspace.id}`,
    `cloud ${app.apiUrl}/accounts/${account.id}/workspaces/${workspace.id}`,
    `metrics ${app.apiUrl!.replace(/\/api$/, '')}/metrics`,
    ...(app.otlpUrl ? [`otlp ${app.otlpUrl}/v1/traces (and /v1/logs, /v1/metrics)`] : []),
    ...(app.prefectUi.ui ? [`prefect-ui ${app.apiUrl!.replace(/\/api$/, '')}${SERVE_BASE}/`] : []),
    ...(app.capabilities?.restUrls ?? []).map((u) => `rest ${u}`),
    ...(app.capabilities?.mcpUrls ?? []).map((u) => `mcp ${u}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const warning of accessWarnings(config, (await listKeys(app.services)).length))
    process.stderr.write(`${warning}\n`);
  if (config['log-level'] === 'debug') logLoopDelay(app.api.log);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** What start-up says about access: how to make the first key, or that the server is open. */
export function accessWarnings(config: Pick<ServeConfig, 'auth' | 'host' | 'db'>, keys: number): string[] {
  if (config.auth && keys === 0)
    return [
      'auth: no API key exists yet, so every request but /api/health and /api/ready is refused. Make the first with:',
      `  sightline keys create --db ${config.db.startsWith('sqlite:') ? `'${config.db}'` : "<this server's --db>"} --account default --scope admin`,
    ];
  if (!config.auth && !LOOPBACK.test(config.host))
    return [
      `warning: listening on ${config.host} without --auth: anyone who reaches it can read and write everything (see docs/operations.md, "Keys")`,
    ];
  return [];
}
