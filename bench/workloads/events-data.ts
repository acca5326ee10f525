/**
 * A deterministic generator of realistic Prefect events: flow runs of a few flows and
 * deployments, each with Pending/Running/Completed (or Failed) states and 10–20 task runs with
 * their own three states — the shape the Prefect client and server emit. Each event carries 4–6
 * related resources (flow run, flow, deployment, work pool, tags; sometimes an actor) and a
 * payload sized within `payloadBytes`. `occurred` runs from `start` to `end` in order over the
 * dataset's full size, so loading it in parts keeps one timeline.
 */
import { uuid7 } from '../../src/domain/ids.ts';
import { formatMicros, type Micros } from '../../src/domain/time.ts';
import { prng } from './logs-data.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function uuidFrom(rand: () => number): string {
  const b = Array.from({ length: 16 }, () => Math.floor(rand() * 256));
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface SampledRun {
  id: string;
  flowId: string;
  /** Events whose primary resource is this flow run, and those of its task runs. */
  own: number;
  task: number;
}

const FLOWS = 20;
const TAGS = ['nightly', 'etl', 'team-a', 'team-b', 'critical', 'backfill', 'ml', 'reports'];
const WORDS =
  'extract transform load validate publish snapshot partition upstream downstream schema batch window cache retry'.split(
    ' ',
  );

export class EventDataset {
  readonly total: number;
  readonly start: Micros;
  readonly end: Micros;
  generated = 0;
  private readonly rand: () => number;
  private readonly payloadBytes: [number, number];
  private readonly flows: { id: string; name: string; deployment: string; pool: string; tags: string[] }[];
  private pending: Record<string, unknown>[] = [];
  private readonly sampled: SampledRun[] = [];
  private runs = 0;

  constructor(opts: { total: number; end: Micros; spanMicros: number; payloadBytes: [number, number]; seed?: number }) {
    this.total = opts.total;
    this.end = opts.end;
    this.start = opts.end - opts.spanMicros;
    this.rand = prng(opts.seed ?? 42);
    this.payloadBytes = opts.payloadBytes;
    this.flows = Array.from({ length: FLOWS }, (_, i) => ({
      id: uuidFrom(this.rand),
      name: `flow-${i}`,
      deployment: uuidFrom(this.rand),
      pool: `pool-${i % 3}`,
      tags: [TAGS[i % TAGS.length], TAGS[(i * 3 + 1) % TAGS.length]],
    }));
  }

  /** `occurred` of the i-th event of the dataset. */
  timeAt(i: number): Micros {
    return this.start + Math.floor(((this.end - this.start) * i) / Math.max(1, this.total));
  }

  /** Flow runs seen so far (every 50th run is kept), for queries. */
  flowRuns(): SampledRun[] {
    return this.sampled;
  }

  flowIds(): string[] {
    return this.flows.map((f) => f.id);
  }

  private payload(extra: Record<string, unknown>): Record<string, unknown> {
    const [lo, hi] = this.payloadBytes;
    const size = lo + Math.floor(this.rand() * (hi - lo));
    const words: string[] = [];
    let n = 0;
    while (n < size) {
      const w = WORDS[Math.floor(this.rand() * WORDS.length)];
      words.push(w);
      n += w.length + 1;
    }
    return { ...extra, notes: words.join(' ') };
  }

  /** Queues the events of one more flow run (not yet timed). */
  private planRun(): void {
    const f = this.flows[Math.floor(this.rand() * this.flows.length)];
    const runId = uuidFrom(this.rand);
    const failed = this.rand() < 0.03;
    const tasks = 10 + Math.floor(this.rand() * 11);
    const runRes = { 'prefect.resource.id': `prefect.flow-run.${runId}`, 'prefect.resource.name': `run-${this.runs}` };
    const common = [
      {
        'prefect.resource.id': `prefect.flow.${f.id}`,
        'prefect.resource.role': 'flow',
        'prefect.resource.name': f.name,
      },
      {
        'prefect.resource.id': `prefect.deployment.${f.deployment}`,
        'prefect.resource.role': 'deployment',
        'prefect.resource.name': `${f.name}/prod`,
      },
      {
        'prefect.resource.id': `prefect.work-pool.${f.pool}`,
        'prefect.resource.role': 'work-pool',
        'prefect.resource.name': f.pool,
      },
      ...f.tags.map((t) => ({ 'prefect.resource.id': `prefect.tag.${t}`, 'prefect.resource.role': 'tag' })),
    ];
    const actor =
      this.rand() < 0.2
        ? [
            {
              'prefect.resource.id': `prefect-cloud.user.${this.runs % 7}`,
              'prefect.resource.role': 'actor',
              'prefect.resource.name': `user-${this.runs % 7}`,
            },
          ]
        : [];
    const out: Record<string, unknown>[] = [];
    const state = (name: string) => ({
      ...runRes,
      'prefect.state-name': name,
      'prefect.state-type': name.toUpperCase(),
    });
    out.push({
      event: 'prefect.flow-run.Pending',
      resource: state('Pending'),
      related: [...common, ...actor],
      payload: this.payload({ intended: { to: 'PENDING' } }),
    });
    out.push({
      event: 'prefect.flow-run.Running',
      resource: state('Running'),
      related: common,
      payload: this.payload({ intended: { from: 'PENDING', to: 'RUNNING' } }),
    });
    for (let t = 0; t < tasks; t++) {
      const taskId = uuidFrom(this.rand);
      for (const s of ['Pending', 'Running', 'Completed']) {
        out.push({
          event: `prefect.task-run.${s}`,
          resource: {
            'prefect.resource.id': `prefect.task-run.${taskId}`,
            'prefect.resource.name': `task-${t}`,
            'prefect.state-name': s,
            'prefect.orchestration': 'client',
          },
          related: [{ ...runRes, 'prefect.resource.role': 'flow-run' }, ...common.slice(0, 2), ...common.slice(3)],
          payload: this.payload({ task_run: { name: `task-${t}`, task_key: `${f.name}-task-${t}`, tags: f.tags } }),
        });
      }
    }
    const end = failed ? 'Failed' : 'Completed';
    out.push({
      event: `prefect.flow-run.${end}`,
      resource: state(end),
      related: common,
      payload: this.payload({ intended: { from: 'RUNNING', to: end.toUpperCase() } }),
    });
    if (this.runs % 50 === 0) this.sampled.push({ id: runId, flowId: f.id, own: 3, task: tasks * 3 });
    this.runs++;
    this.pending.push(...out);
  }

  /** The next `n` events of the dataset, as JSON objects in `occurred` order. */
  next(n: number): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (this.pending.length === 0) this.planRun();
      const e = this.pending.shift()!;
      const at = this.timeAt(this.generated++);
      // Event ids are UUIDv7, as the Prefect client makes them.
      out[i] = { id: uuid7(), occurred: formatMicros(at), follows: null, ...e };
    }
    return out;
  }
}
