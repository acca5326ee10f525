/**
 * CPU used by a local PostgreSQL server, and by the whole machine, read from /proc (Linux). The
 * server is found through a connection: its backend's parent is the postmaster, whose live
 * children are every backend and background process; the CPU of children that already exited is
 * in the postmaster's cutime/cstime. A remote server (no such process here) reads as undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SECOND = 100;

function stat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The postmaster's pid when the server at `url` runs on this machine. */
export async function postmasterPid(url: string): Promise<number | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT pg_backend_pid() AS pid');
    const ppid = Number(stat(rows[0].pid)?.[1]);
    return Number.isFinite(ppid) && ppid > 1 ? ppid : undefined;
  } finally {
    await c.end();
  }
}

/** CPU seconds of the server so far (postmaster, live children, reaped children). */
function serverCpu(postmaster: number): number | undefined {
  const own = stat(postmaster);
  if (!own) return undefined;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = stat(Number(name));
    if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded). */
function machineCpu(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3] - f[4]) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface CpuWindow {
  /** Cores the database server used on average (1 = one core busy). */
  dbCores?: number;
  /** Cores the whole machine used (every process). */
  machineCores?: number;
}

export class DbCpuSampler {
  private readonly postmaster: number | undefined;
  private readonly db0: number | undefined;
  private readonly machine0: number | undefined;
  private readonly t0 = performance.now();

  constructor(postmaster: number | undefined) {
    this.postmaster = postmaster;
    this.db0 = postmaster === undefined ? undefined : serverCpu(postmaster);
    this.machine0 = machineCpu();
  }

  stop(): CpuWindow {
    const seconds = (performance.now() - this.t0) / 1000;
    const db1 = this.postmaster === undefined ? undefined : serverCpu(this.postmaster);
    const m1 = machineCpu();
    return {
      dbCores: db1 !== undefined && this.db0 !== undefined ? (db1 - this.db0) / seconds : undefined,
      machineCores: m1 !== undefined && this.machine0 !== undefined ? (m1 - this.machine0) / seconds : undefined,
    };
  }
}
