/**
 * Starts `sightline serve` as a child process, exactly as a user would (`npm start`: `node [flags]
 * src/cli/main.ts serve`), on a free port, and reads the addresses it prints. The child is the
 * server process itself, so its pid is what RSS and CPU are measured on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackChild } from './cleanup.ts';
import { setCredentials } from './http.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface ServerOptions {
  /** Data directory (`--data-dir`). */
  dataDir: string;
  /** Database URL (`--db`); default: SQLite in the data directory. */
  db?: string;
  /** Extra flags for `node` (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Extra flags for `serve` (after the defaults, so they win). */
  serveArgs?: string[];
  /** Every line the server writes to stdout after it started (its log, at --log-level). */
  onLine?: (line: string) => void;
  /**
   * Serve with `--auth`: a write key is made with `sightline keys create` once the server is up,
   * and every `HttpClient` of its address sends it (`http.ts`).
   */
  auth?: boolean;
  startTimeoutMs?: number;
}

export interface ServerHandle {
  readonly pid: number;
  /** `http://127.0.0.1:<port>/api` */
  readonly apiUrl: string;
  /** Cloud-style base URL of the default workspace. */
  readonly cloudUrl: string;
  readonly accountId: string;
  readonly workspaceId: string;
  readonly db: string;
  /** Every `<kind> <value>` line the server printed on start (`rest`, `mcp` may repeat). */
  readonly printed: [string, string][];
  /** `Authorization` for its key under `auth` (none otherwise). */
  readonly headers: Record<string, string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null if killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** The `node` flags `npm start` runs the server with (`--max-semi-space-size`, ADR 20), so the benchmark measures the same process. */
export function startNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /^(?:exec )?node ((?:--\S+ )*)src\/cli\/main\.ts serve/.exec(pkg.scripts.start);
  if (!m)
    throw new Error(
      `package.json's start script is not '[exec] node [flags] src/cli/main.ts serve': ${pkg.scripts.start}`,
    );
  return m[1].split(' ').filter(Boolean);
}

export function sqliteUrl(dataDir: string): string {
  return `sqlite:${join(dataDir, 'sightline.db')}`;
}

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const db = opts.db ?? sqliteUrl(opts.dataDir);
  const args = [
    ...startNodeFlags(),
    ...(opts.nodeArgs ?? []),
    join(REPO_ROOT, 'src', 'cli', 'main.ts'),
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    opts.dataDir,
    '--db',
    db,
    '--log-level',
    'warn',
    // The REST gateway and MCP listeners run as for a user, on free ports instead of 8080/9090.
    '--rest-port',
    '0',
    '--mcp-port',
    '0',
    ...(opts.auth ? ['--auth'] : []),
    ...(opts.serveArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-8000);
    // Warnings and errors of the server are worth seeing while a benchmark runs.
    process.stderr.write(`[server ${child.pid}] ${d}`);
  });

  const all: [string, string][] = [];
  let started = false;
  const printed = await new Promise<Record<string, string>>((resolve, reject) => {
    const seen: Record<string, string> = {};
    let buf = '';
    const timer = setTimeout(
      () => fail(new Error(`server did not start within ${opts.startTimeoutMs ?? 30_000} ms`)),
      opts.startTimeoutMs ?? 30_000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${stderr}`));
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        // Log lines (JSON) go to `onLine`; the start-up lines may arrive in more than one chunk.
        if (line.startsWith('{')) {
          opts.onLine?.(line);
          continue;
        }
        const sp = line.indexOf(' ');
        if (sp > 0) {
          seen[line.slice(0, sp)] = line.slice(sp + 1).trim();
          all.push([line.slice(0, sp), line.slice(sp + 1).trim()]);
        }
      }
      if (!started && seen.api && seen.workspace && seen.account && seen.cloud) {
        started = true;
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.once('exit', (code, signal) =>
      fail(new Error(`server exited during start (code ${code}, signal ${signal})`)),
    );
  });
  child.removeAllListeners('exit');
  const apiUrl = printed.api;
  const host = new URL(apiUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    throw new Error(`server is not on loopback: ${apiUrl}`);

  const headers: Record<string, string> = opts.auth
    ? { authorization: `Bearer ${await makeKey(db, opts.dataDir, printed.account)}` }
    : {};
  if (opts.auth) setCredentials(apiUrl, headers);
  return {
    pid: child.pid!,
    headers,
    apiUrl,
    cloudUrl: printed.cloud,
    accountId: printed.account,
    workspaceId: printed.workspace,
    db,
    printed: all,
    stop: (graceMs = 15_000) => stopChild(child, graceMs),
  };
}

/** A write key of `account`, made by the admin command as a user would (the last line it prints). */
async function makeKey(db: string, dataDir: string, account: string): Promise<string> {
  const args = ['src/cli/main.ts', 'keys', 'create', '--account', account, '--scope', 'write', '--name', 'bench'];
  const child = spawn(process.execPath, [...args, '--db', db, '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const key = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !key.startsWith('sl_')) throw new Error(`sightline keys create failed (${code}): ${err}${out}`);
  return key;
}

function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}
