/**
 * Resource use of a server process, read from /proc (Linux). Elsewhere every reading is
 * undefined and the report says n/a.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every mainstream Linux

export interface ProcReading {
  /** Resident set size, bytes. */
  rss: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  hwm: number;
  /** User + system CPU time, seconds. */
  cpu: number;
}

export function readProc(pid: number): ProcReading | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpu };
  } catch {
    return undefined;
  }
}

export interface ProcWindow {
  /** Largest RSS sampled in the window, bytes. */
  maxRss?: number;
  /** RSS at the end of the window, bytes. */
  lastRss?: number;
  /** CPU used by the process over the window, as a share of one core (1 = one core busy). */
  cpuCores?: number;
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the maximum and the CPU share. */
export class ProcSampler {
  private readonly pids: number[];
  private readonly timer: NodeJS.Timeout;
  private readonly startCpu: number | undefined;
  private readonly startAt = performance.now();
  private maxRss: number | undefined;

  constructor(pids: number[], intervalMs = 200) {
    this.pids = pids;
    this.startCpu = this.cpuNow();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private cpuNow(): number | undefined {
    let total = 0;
    for (const pid of this.pids) {
      const r = readProc(pid);
      if (!r) return undefined;
      total += r.cpu;
    }
    return total;
  }

  private rssNow(): number | undefined {
    let total = 0;
    for (const pid of this.pids) {
      const r = readProc(pid);
      if (!r) return undefined;
      total += r.rss;
    }
    return total;
  }

  private sample(): void {
    const rss = this.rssNow();
    if (rss !== undefined && (this.maxRss === undefined || rss > this.maxRss)) this.maxRss = rss;
  }

  stop(): ProcWindow {
    clearInterval(this.timer);
    this.sample();
    const end = this.cpuNow();
    const seconds = (performance.now() - this.startAt) / 1000;
    return {
      maxRss: this.maxRss,
      lastRss: this.rssNow(),
      cpuCores:
        end !== undefined && this.startCpu !== undefined && seconds > 0 ? (end - this.startCpu) / seconds : undefined,
    };
  }
}
