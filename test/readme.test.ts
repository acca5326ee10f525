/**
 * The README followed line by line in a fresh clone: the project's tracked files copied to an
 * empty directory (what `git clone` gives: no node_modules, no build), its first line run as
 * written (`npm install && npm start`), then every shell block that needs no Prefect install,
 * each as one bash script. What differs, and only that: the addresses (free ports, set through
 * the SIGHTLINE_* variables the README documents, and the URL in the commands), the data
 * directory (SIGHTLINE_DATA_DIR instead of ~/.sightline), placeholders such as <flow-run-id> (a
 * run made over the API as a Prefect client would), lines with --follow (they run until
 * interrupted), and npm preferring its cache (prefer-offline) over the registry.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHILD_DEADLINE_MS, until } from './helpers/cli.ts';
import { tempDir } from './helpers/engines.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const README_API = 'http://127.0.0.1:4200/api';
/** npm's install takes longer than a command: it may fetch what its cache lacks. */
const INSTALL_DEADLINE_MS = 300_000;

/** The first ```sh block after `heading`. */
function block(heading: string): string {
  const from = README.indexOf(heading);
  assert.ok(from >= 0, `README has '${heading}'`);
  const start = README.indexOf('```sh\n', from) + '```sh\n'.length;
  return README.slice(start, README.indexOf('```', start));
}

/** A copy of what `git clone` of this checkout gives: its tracked files as they are now. */
function freshClone(): string {
  const dir = tempDir('sightline-clone-');
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  return dir;
}

let clone: string;
let server: ChildProcess;
let out = '';
let api: string;
let runId: string;
let dataDir: string;

before(async () => {
  clone = freshClone();
  const first = block('# Sightline').split('\n')[0];
  assert.match(first, /^npm install && npm start\b/);
  server = spawn('bash', ['-c', first.replace(/\s+#.*$/, '')], {
    cwd: clone,
    detached: true, // its own process group: npm, then the server it execs
    env: {
      ...process.env,
      npm_config_prefer_offline: 'true',
      SIGHTLINE_PORT: '0',
      SIGHTLINE_REST_PORT: '0',
      SIGHTLINE_MCP_PORT: '0',
      SIGHTLINE_DATA_DIR: (dataDir = tempDir()),
      SIGHTLINE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  await until(() => /^mcp /m.test(out) || server.exitCode !== null, 'npm install && npm start', INSTALL_DEADLINE_MS);
  const line = /^api (\S+)$/m.exec(out);
  assert.ok(line, `the server started:\n${out}`);
  api = line[1];

  // A failed flow run with a warning, as a Prefect client would leave them.
  const post = async (path: string, body: unknown): Promise<{ id: string }> => {
    const r = await fetch(api + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(r.ok, `${path}: ${r.status}`);
    return r.status === 204 ? { id: '' } : ((await r.json()) as { id: string });
  };
  const flow = await post('/flows/', { name: 'etl' });
  const run = await post('/flow_runs/', {
    flow_id: flow.id,
    name: 'nightly',
    state: { type: 'FAILED', name: 'Failed' },
  });
  runId = run.id;
  await post('/logs/', [
    { name: 'etl', level: 30, message: 'upstream timeout', timestamp: new Date().toISOString(), flow_run_id: runId },
  ]);
});

after(async () => {
  if (!server?.pid || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  process.kill(-server.pid, 'SIGTERM');
  await exited;
});

/** Runs a README block in the clone with the placeholders filled in; resolves with its stdout. */
async function runBlock(heading: string, fill: Record<string, string> = {}): Promise<string> {
  let script = block(heading)
    .split('\n')
    .filter((l) => !l.replace(/\s#.*$/, '').includes('--follow'))
    .join('\n')
    .replaceAll(README_API, api)
    .replaceAll('<flow-run-id>', runId);
  for (const [k, v] of Object.entries(fill)) script = script.replaceAll(k, v);
  const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: clone,
    env: { ...process.env, SIGHTLINE_API_URL: api },
    timeout: CHILD_DEADLINE_MS,
  });
  return stdout;
}

it('the clone installs and starts with no build step but the web UI the install builds', async () => {
  assert.match(out, /^cloud http:\/\/127\.0\.0\.1:\d+\/api\/accounts\//m);
  assert.deepEqual(readdirSync(join(clone, 'dist')), ['ui'], 'only the web UI was built, by npm install');
  const page = await fetch(new URL('/runs', api));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="app">/);
});

it('Try it: the log search finds the log and sightline events shows the event, as the README shows it', async () => {
  const stdout = await runBlock('## Try it');
  assert.match(stdout, /"message":"hello"/);
  const shown = /^#\s+(.+)$/m.exec(block('## Try it'))![1];
  assert.ok(stdout.includes(`${shown}\n`), `README: ${shown}\ngot: ${stdout}`);
});

it("a flow run's logs and their download", async () => {
  const stdout = await runBlock('Read a flow run');
  assert.match(stdout, /upstream timeout/);
  const csv = readdirSync(clone).filter((f) => f.endsWith('.csv'));
  assert.deepEqual(csv, ['nightly-logs.csv'], 'curl -OJ saved the download under the name of the run');
  assert.match(readFileSync(join(clone, csv[0]), 'utf8'), /upstream timeout/);
});

it('runs and trace', async () => {
  const stdout = await runBlock('look at\nthem from the command line');
  assert.match(stdout, new RegExp(`^${runId}\\s+etl\\s+nightly\\s+Failed`, 'm'));
  assert.match(stdout, /nightly/);
});

it("a run's trace through the span operations", async () => {
  const lookup = (await (await fetch(`${api}/spans/lookup/${runId}`)).json()) as { trace_id: string };
  const stdout = await runBlock('span of its trace', { '<any run id>': runId, '<trace_id>': lookup.trace_id });
  assert.match(stdout, new RegExp(`"trace_id":"${lookup.trace_id}"`));
});

it('backups: a backup of the running store, restored into a new directory', async () => {
  const copy = join(tempDir(), 'copy');
  const stdout = await runBlock('## Backups', { '~/.sightline-copy': copy, '~/.sightline': dataDir });
  assert.match(stdout, /^backed up to .*sightline-backup\.db \(/m);
  assert.match(stdout, /^restored .*copy\/sightline\.db \(/m);
  assert.ok(readdirSync(copy).includes('sightline.db'));
});
