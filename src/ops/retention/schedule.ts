/**
 * The server's retention schedule: a sweep every `--retention-interval` (the first one interval
 * after start), one log line per kind after each, and what `GET /api/admin/retention` reports.
 * Instances sharing a database each schedule sweeps; the sweep lock lets one run at a time.
 */
import { RETENTION_KINDS, type RemovedCounts, type RetentionFlags } from '../../domain/retention.ts';
import type { Micros } from '../../domain/time.ts';
import type { OpLog, StoreServices } from '../context.ts';
import { sweepRetention, type WorkspaceSweep } from './sweep.ts';

export interface RetentionScheduleOptions {
  flags: RetentionFlags;
  batch: number;
  intervalSeconds: number;
  now: () => Micros;
  /** True while ingest is busy (the sweep then paces itself). */
  busy?: () => boolean;
  log: OpLog;
}

export class RetentionSchedule {
  readonly flags: RetentionFlags;
  private readonly services: StoreServices;
  private readonly opts: RetentionScheduleOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<WorkspaceSweep[] | undefined> | undefined;
  private next: Micros | undefined;

  constructor(services: StoreServices, opts: RetentionScheduleOptions) {
    this.services = services;
    this.opts = opts;
    this.flags = opts.flags;
  }

  /** When the next scheduled sweep starts; undefined when none is scheduled. */
  get nextSweep(): Micros | undefined {
    return this.next;
  }

  start(): void {
    const ms = this.opts.intervalSeconds * 1000;
    this.next = this.opts.now() + ms * 1000;
    this.timer = setInterval(() => {
      this.next = this.opts.now() + ms * 1000;
      this.sweepNow().catch((err) =>
        this.opts.log.error({ err }, 'retention sweep failed; the next one continues where it stopped'),
      );
    }, ms);
    this.timer.unref();
  }

  /**
   * Sweeps now (joining a sweep of this instance under way); undefined when another instance holds
   * the lock. Rejects when the sweep fails (what it removed until then stays removed).
   */
  sweepNow(): Promise<WorkspaceSweep[] | undefined> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<WorkspaceSweep[] | undefined> {
    const started = Date.now();
    const sweeps = await sweepRetention(this.services, {
      flags: this.opts.flags,
      batch: this.opts.batch,
      now: this.opts.now,
      busy: this.opts.busy,
    });
    if (sweeps) this.report(sweeps, Date.now() - started);
    return sweeps;
  }

  /** One line per kind kept for a limited time in some workspace: what went, and how long it took. */
  private report(sweeps: WorkspaceSweep[], ms: number): void {
    const total: RemovedCounts = { logs: 0, events: 0, runs: 0, spans: 0 };
    for (const s of sweeps) for (const k of Object.keys(total) as (keyof RemovedCounts)[]) total[k] += s.removed[k];
    for (const kind of RETENTION_KINDS) {
      const limited = sweeps.some((s) =>
        kind === 'events'
          ? s.policy.events > 0 || s.policy.eventOverrides.some((o) => o.seconds > 0)
          : s.policy[kind] > 0,
      );
      if (!limited) continue;
      const took = sweeps.reduce((a, s) => a + s.durations[kind], 0);
      const parts = kind === 'runs' ? 0 : sweeps.reduce((a, s) => a + s.partitions[kind], 0);
      const what =
        kind === 'runs'
          ? `${total.runs} run trees (${total.spans} runs and task runs)`
          : `${total[kind]} ${kind}${parts ? ` (${parts} whole day partitions dropped)` : ''}`;
      this.opts.log.info?.(
        {
          retention: kind,
          removed: total[kind],
          ...(kind === 'runs' ? { spans: total.spans } : { partitions: parts }),
          ms: took,
        },
        `retention: removed ${what} in ${took} ms (sweep ${ms} ms)`,
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.next = undefined;
    await this.running;
  }
}
