/**
 * What every workload gets: the parsed arguments, servers on the run's database (started on
 * demand, stopped at the end), shared fixtures (a dataset loaded once and read by several
 * workloads) and a deadline.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchArgs } from './args.ts';
import { removeDir, tempDir } from './cleanup.ts';
import { type ServerHandle, startServer } from './server.ts';

export type Engine = 'sqlite' | 'postgres';

export function engineOf(db: string | undefined): Engine {
  return db && /^postgres(ql)?:\/\//.test(db) ? 'postgres' : 'sqlite';
}

export interface Workload {
  /** `logs-ingest`; also the `--only` name. */
  name: string;
  title: string;
  /** The dataset size it measures at (its report block is keyed by it); default: `--logs` logs. */
  size?: (args: BenchArgs) => { n: number; noun: string };
  /** Returns the Markdown body of its section of the report. */
  run(ctx: BenchContext): Promise<string>;
}

export class BenchContext {
  readonly args: BenchArgs;
  readonly engine: Engine;
  private readonly fixtures = new Map<string, Promise<unknown>>();
  private readonly closers: (() => Promise<unknown>)[] = [];
  private serverCount = 0;

  constructor(args: BenchArgs) {
    this.args = args;
    this.engine = engineOf(args.db);
  }

  /** Builds a shared resource once; every later call gets the same one. */
  fixture<T>(name: string, make: () => Promise<T>): Promise<T> {
    let f = this.fixtures.get(name) as Promise<T> | undefined;
    if (!f) {
      f = make();
      this.fixtures.set(name, f);
    }
    return f;
  }

  /** Runs `fn` when the run ends (last registered, first run). */
  onClose(fn: () => Promise<unknown>): void {
    this.closers.push(fn);
  }

  /**
   * A new server process. Without `--db` each call gets its own temporary SQLite database unless
   * `db` is given (a second instance on the same database passes the first one's `db`).
   */
  async server(
    opts: { db?: string; serveArgs?: string[]; onLine?: (line: string) => void } = {},
  ): Promise<ServerHandle> {
    const n = ++this.serverCount;
    const dataDir = tempDir(`server${n}`);
    const nodeArgs: string[] = [];
    if (this.args.cpuProf) {
      const dir = resolve(this.args.cpuProf);
      mkdirSync(dir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=server${n}-${process.pid}.cpuprofile`);
    }
    const s = await startServer({
      dataDir,
      db: opts.db ?? this.args.db,
      nodeArgs,
      serveArgs: [...this.args.serveArgs, ...(opts.serveArgs ?? [])],
      auth: this.args.auth,
      onLine: opts.onLine,
    });
    this.onClose(async () => {
      await s.stop();
      removeDir(dataDir);
    });
    return s;
  }

  /** Stops every server and closes every fixture. Temp directories go with the process exit hook. */
  async close(): Promise<void> {
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`bench: while closing: ${err}\n`);
      }
    }
  }
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export const DEFAULT_OUT = join('bench', 'RESULTS.md');
