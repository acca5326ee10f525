/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temporary directory,
 * `postgres` on 127.0.0.1 and a free port, removed again by `stop()`. Uses Debian's versioned
 * server binaries (`/usr/lib/postgresql/<version>/bin`, not on PATH). `initdb` refuses to run as
 * root, so as root the cluster belongs to the unprivileged `postgres` user (`runuser -u postgres`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgCluster {
  /** Superuser URL of the `postgres` database. */
  url: string;
  dir: string;
  /** Stops the server and deletes the cluster. */
  stop(): void;
  /** Stops the server as a crash would (`pg_ctl stop -m immediate`), keeping the cluster. */
  crash(): void;
  /** Starts the server again after `crash()`, with the same settings. */
  restart(): void;
}

/** The newest installed server's bin directory, or undefined when no server is installed. */
export function findPgBin(): string | undefined {
  const found = globSync('/usr/lib/postgresql/*/bin/initdb')
    .map((p) => ({ p, v: Number(p.split('/')[4]) }))
    .sort((a, b) => b.v - a.v);
  return found[0] ? found[0].p.replace(/\/initdb$/, '') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ClusterOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Test clusters trade durability for speed (fsync off); benchmarks keep the defaults. */
  durable?: boolean;
}

export async function startPgCluster(opts: ClusterOptions = {}): Promise<PgCluster> {
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'sightline-pg-'));
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    return execFileSync(full[0] as string, full[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const stopCluster = () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone; the directory is removed below either way.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const settings: Record<string, string | number> = {
      port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      max_connections: 300,
      shared_buffers: '256MB',
      ...(opts.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...opts.settings,
    };
    const o = Object.entries(settings)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    const start = () => {
      try {
        run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', o, '-w', '-t', '60', 'start']);
      } catch (err) {
        const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
        throw new Error(`pg_ctl start failed: ${err}\n${log}`);
      }
    };
    start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      dir,
      stop: stopCluster,
      crash: () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
      restart: start,
    };
  } catch (err) {
    stopCluster();
    throw err;
  }
}

/** Whether `postgres` exists for runuser (only needed as root). */
export function canRunCluster(): boolean {
  if (!findPgBin()) return false;
  if (process.getuid?.() !== 0) return true;
  return spawnSync('id', ['-u', 'postgres']).status === 0;
}
