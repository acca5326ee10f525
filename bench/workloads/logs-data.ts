/**
 * A deterministic generator of realistic Prefect logs: many flow runs, a dozen of them active at
 * any moment, each with a stream of task runs; several loggers; levels mostly INFO with few
 * errors; messages from templates and a Zipf-distributed dictionary, from a few words to
 * multi-kilobyte tracebacks. Known terms are planted at known rates so text searches have a rare
 * term, a common term and a phrase to look for. Timestamps run from `start` to `end` in order
 * (with jitter), spread over the dataset's full size, so loading it in parts keeps one timeline.
 */
import { uuid7 } from '../../src/domain/ids.ts';
import type { NewLog } from '../../src/domain/logs.ts';
import { formatMicros, type Micros, nowMicros, parseIsoMicros } from '../../src/domain/time.ts';

/** Planted terms: each appears in about `RARE_RATE` of all logs (≈10 per million). */
export const RARE_TERMS = ['quokka', 'axolotl', 'pangolin', 'narwhal', 'wombat'] as const;
const RARE_RATE = 1e-5;
/** In roughly a quarter of all messages. */
export const COMMON_TERM = 'records';
/** In most error messages (≈0.5 % of logs). */
export const PHRASE = 'connection reset by peer';

export const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;

/** mulberry32: small, fast, good enough for load generation. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function uuidFrom(rand: () => number): string {
  const b = Array.from({ length: 16 }, () => Math.floor(rand() * 256));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const BASE_WORDS = (
  'the a of to and in for on with from is was be by at as this that it not are or an will has have ' +
  'data batch job file table row column query request response client server cache queue worker ' +
  'start started finish finished done retry retrying attempt timeout error warning failed success ' +
  'upload download read write load extract transform validate parse schema partition shard bucket ' +
  'object key value user account customer order invoice payment event message stream topic offset ' +
  'commit rollback transaction lock wait latency duration bytes seconds items page cursor token ' +
  'config setting env deploy deployment flow task run state pending running completed cancelled ' +
  'crashed scheduled late paused resumed subflow parameter result artifact block storage s3 gcs ' +
  'postgres mysql snowflake bigquery redshift kafka redis http https api endpoint status ok'
).split(' ');

const SYLLABLES =
  'ba be bi bo bu da de di do du fa fe fi fo ga ge go ha he hi ho ja ji ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we wi ya yo za ze zi zo'.split(
    ' ',
  );

/** The dictionary: common words first, then a long tail of made-up words (no `q`, no `x`, so planted terms never occur by chance). */
function buildDictionary(): string[] {
  const rand = prng(7);
  const words = [...BASE_WORDS];
  const seen = new Set(words);
  while (words.length < 20_000) {
    const n = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    if (!seen.has(w) && !w.includes(COMMON_TERM)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

const DICT = buildDictionary();
const LN_DICT = Math.log(DICT.length + 1);

const FLOWS = [
  'etl-daily',
  'sync-customers',
  'train-model',
  'refresh-dashboards',
  'ingest-events',
  'backup-db',
  'score-leads',
  'export-reports',
];
const TASKS = [
  'extract',
  'transform',
  'load',
  'validate',
  'fetch_page',
  'write_batch',
  'notify',
  'compute_features',
  'upload_file',
];
const TABLES = ['orders', 'customers', 'invoices', 'events', 'sessions', 'payments', 'inventory'];
const ADJ = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'kind', 'lively', 'proud'];
const ANIMALS = ['otter', 'falcon', 'badger', 'heron', 'lynx', 'marmot', 'puffin', 'tapir', 'gecko', 'bison'];

export interface TaskRunSample {
  id: string;
  logs: number;
}

export interface FlowRunSample {
  id: string;
  logs: number;
  taskRuns: TaskRunSample[];
}

interface ActiveRun {
  id: string;
  name: string;
  flow: string;
  budget: number;
  logs: number;
  task?: { id: string; name: string; left: number; logs: number };
  tasks: TaskRunSample[];
}

export class LogDataset {
  readonly total: number;
  readonly start: Micros;
  readonly end: Micros;
  /** Logs generated so far (= stored, once the batches holding them were acknowledged). */
  generated = 0;
  private readonly rand: () => number;
  private readonly sampleRand: () => number;
  private readonly active: ActiveRun[] = [];
  private readonly sample: FlowRunSample[] = [];
  /** Flow runs whose last log has been generated. */
  finishedRuns = 0;

  constructor(opts: { total: number; end: Micros; spanMicros: Micros; seed?: number }) {
    this.total = opts.total;
    this.end = opts.end;
    this.start = opts.end - opts.spanMicros;
    this.rand = prng(opts.seed ?? 42);
    this.sampleRand = prng((opts.seed ?? 42) + 1);
    for (let i = 0; i < 12; i++) this.active.push(this.newRun());
  }

  /** Timestamp of the i-th log of the dataset (before jitter). */
  timeAt(i: number): Micros {
    return this.start + Math.floor((i / this.total) * (this.end - this.start));
  }

  /** Finished flow runs seen so far (a uniform sample of at most 2,000), for targeted queries. */
  flowRuns(): FlowRunSample[] {
    return this.sample;
  }

  /** The JSON body of the next `n` logs (a `POST /logs/` request). */
  nextBody(n: number): string {
    const parts: string[] = new Array(n);
    for (let i = 0; i < n; i++) parts[i] = this.nextLog();
    return `[${parts.join(',')}]`;
  }

  private word(): string {
    return DICT[Math.floor(Math.exp(this.rand() * LN_DICT)) - 1];
  }

  private words(n: number): string {
    let s = this.word();
    for (let i = 1; i < n; i++) s += ` ${this.word()}`;
    return s;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)];
  }

  private newRun(): ActiveRun {
    return {
      id: uuidFrom(this.rand),
      name: `${this.pick(ADJ)}-${this.pick(ANIMALS)}`,
      flow: this.pick(FLOWS),
      budget: 20 + Math.floor(-Math.log(1 - this.rand()) * 230),
      logs: 0,
      tasks: [],
    };
  }

  private finish(run: ActiveRun): void {
    this.finishedRuns++;
    const s: FlowRunSample = { id: run.id, logs: run.logs, taskRuns: run.tasks };
    if (this.sample.length < 2000) this.sample.push(s);
    else {
      const j = Math.floor(this.sampleRand() * this.finishedRuns);
      if (j < 2000) this.sample[j] = s;
    }
  }

  private level(): number {
    const r = this.rand();
    if (r < 0.1) return LEVELS.DEBUG;
    if (r < 0.92) return LEVELS.INFO;
    if (r < 0.98) return LEVELS.WARNING;
    if (r < 0.996) return LEVELS.ERROR;
    return LEVELS.CRITICAL;
  }

  private traceback(): string {
    const frames = 2 + Math.floor(this.rand() * 12);
    let s = 'Traceback (most recent call last):\n';
    for (let i = 0; i < frames; i++) {
      s += `  File "/opt/flows/${this.pick(TASKS)}.py", line ${1 + Math.floor(this.rand() * 900)}, in ${this.pick(TASKS)}\n    ${this.words(4 + Math.floor(this.rand() * 10))}\n`;
    }
    return `${s}ConnectionResetError: [Errno 104] Connection reset by peer`;
  }

  private message(level: number, run: ActiveRun, flowLevel: boolean): { name: string; message: string } {
    const r = this.rand();
    if (this.rand() < RARE_RATE * RARE_TERMS.length) {
      return {
        name: 'etl.audit',
        message: `Unusual marker ${this.pick(RARE_TERMS)} found in ${this.pick(TABLES)} row ${Math.floor(this.rand() * 1e6)}`,
      };
    }
    if (level >= LEVELS.ERROR) {
      const tb = this.rand() < 0.5 ? `\n${this.traceback()}` : '';
      return {
        name: flowLevel ? 'prefect.flow_runs' : 'prefect.task_runs',
        message:
          r < 0.8
            ? `Encountered exception during execution: ConnectionResetError('${PHRASE}') while calling ${this.pick(TABLES)} API${tb}`
            : `Task run failed: ${this.words(6 + Math.floor(this.rand() * 20))}${tb}`,
      };
    }
    if (level === LEVELS.WARNING) {
      return {
        name: this.pick(['prefect.task_runs', 'etl.extract', 'httpx']),
        message:
          r < 0.5
            ? `Retrying request after timeout (attempt ${1 + Math.floor(this.rand() * 3)} of 3): ${this.words(5)}`
            : `Slow query on ${this.pick(TABLES)}: ${Math.floor(this.rand() * 9000)} ms; ${this.words(8)}`,
      };
    }
    if (flowLevel) {
      if (run.logs === 0)
        return { name: 'prefect.flow_runs', message: `Beginning flow run '${run.name}' for flow '${run.flow}'` };
      return {
        name: 'prefect.flow_runs',
        message:
          r < 0.5
            ? `Created task run '${this.pick(TASKS)}-${Math.floor(this.rand() * 1000)}' for task '${this.pick(TASKS)}'`
            : `Executing '${this.pick(TASKS)}-${Math.floor(this.rand() * 1000)}' immediately...`,
      };
    }
    if (r < 0.25)
      return {
        name: 'etl.load',
        message: `Processed ${Math.floor(this.rand() * 50_000)} ${COMMON_TERM} from ${this.pick(TABLES)} in ${Math.floor(this.rand() * 4000)} ms`,
      };
    if (r < 0.35) return { name: 'prefect.task_runs', message: 'Finished in state Completed()' };
    if (r < 0.5)
      return {
        name: 'httpx',
        message: `HTTP Request: ${this.pick(['GET', 'POST', 'PUT'])} https://api.${this.pick(TABLES)}.example.com/v1/${this.word()}/${Math.floor(this.rand() * 1e5)} "HTTP/1.1 200 OK"`,
      };
    if (r < 0.6)
      return {
        name: 'etl.extract',
        message: `Fetched page ${Math.floor(this.rand() * 500)} of ${this.pick(TABLES)}: ${this.words(3 + Math.floor(this.rand() * 12))}`,
      };
    if (r < 0.65)
      return {
        name: 'sqlalchemy.engine.Engine',
        message: `SELECT ${this.words(3)} FROM ${this.pick(TABLES)} WHERE id = ${Math.floor(this.rand() * 1e6)}`,
      };
    if (r < 0.67)
      return {
        name: 'etl.transform',
        message: `Row sample: ${JSON.stringify({ id: Math.floor(this.rand() * 1e6), note: this.words(30 + Math.floor(this.rand() * 120)) })}`,
      };
    return {
      name: this.pick(['etl.transform', 'etl.load', 'etl.extract']),
      message: this.words(4 + Math.floor(this.rand() * 30)),
    };
  }

  private nextLog(): string {
    const slot = Math.floor(this.rand() * this.active.length);
    const run = this.active[slot];
    const flowLevel = run.logs === 0 || this.rand() < 0.15;
    let taskId: string | null = null;
    if (!flowLevel) {
      if (!run.task || run.task.left <= 0) {
        const t = {
          id: uuidFrom(this.rand),
          name: this.pick(TASKS),
          left: 1 + Math.floor(-Math.log(1 - this.rand()) * 25),
          logs: 0,
        };
        run.task = t;
        run.tasks.push({ id: t.id, logs: 0 });
      }
      run.task.left--;
      run.tasks[run.tasks.length - 1].logs++;
      taskId = run.task.id;
    }
    const level = run.logs === 0 ? LEVELS.INFO : this.level();
    const { name, message } = this.message(level, run, flowLevel);
    const jitter = Math.floor((this.rand() - 0.5) * 1_000_000);
    const ts = formatMicros(Math.min(this.end, this.timeAt(this.generated) + jitter));
    this.generated++;
    run.logs++;
    if (run.logs >= run.budget) {
      this.finish(run);
      this.active[slot] = this.newRun();
    }
    return `{"name":"${name}","level":${level},"message":${JSON.stringify(message)},"timestamp":"${ts}","flow_run_id":"${run.id}","task_run_id":${taskId === null ? 'null' : `"${taskId}"`}}`;
  }
}

/** The next `n` logs as the store takes them (for in-process tools that bypass HTTP). */
export function nextNewLogs(data: LogDataset, n: number, workspaceId: string): NewLog[] {
  const raw = JSON.parse(data.nextBody(n)) as Record<string, unknown>[];
  return raw.map((l) => ({
    workspaceId,
    id: uuid7(),
    created: nowMicros(),
    name: l.name as string,
    level: l.level as number,
    message: l.message as string,
    timestamp: parseIsoMicros(l.timestamp as string) ?? 0,
    flow_run_id: l.flow_run_id as string,
    task_run_id: l.task_run_id as string | null,
    worker_id: null,
  }));
}
