/**
 * Ingest clients for the crash test, one per acknowledged path: `POST /logs/` and `POST /events`
 * (acknowledged by their 2xx) and the `/events/in` websocket (each event acknowledged by the pong
 * of a later ping, as the Prefect client takes it). Every item carries a unique marker; the ledger
 * says which were acknowledged and which were only sent.
 */
import { WebSocket } from 'ws';

export type Fate = 'sent' | 'acked';

export interface Ledger {
  /** Log marker → fate. */
  logs: Map<string, Fate>;
  /** Event id → fate. */
  events: Map<string, Fate>;
  /** Task run id → fate of the event that reports it running. */
  taskRuns: Map<string, Fate>;
  /** Every HTTP status a write was answered with, and how often. */
  statuses: Map<number, number>;
  /** Websocket close codes seen. */
  closes: number[];
  /** How an item was acknowledged, and when (for failure reports). */
  how: Map<string, string>;
}

export function newLedger(): Ledger {
  return { logs: new Map(), events: new Map(), taskRuns: new Map(), statuses: new Map(), closes: [], how: new Map() };
}

export interface Clients {
  /** Stops sending (in-flight requests finish or fail) and resolves when every client is done. */
  stop(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = () => new Date().toISOString();

/** Whether to keep going after a failed request: yes while the server may come back (a database outage). */
interface Options {
  api: string;
  /** The word every log message carries, for the text-search check. */
  token: string;
  /** Marker prefix (unique per round). */
  prefix: string;
  /** One flow run per log client (logs and task runs belong to it). */
  runs: string[];
  ledger: Ledger;
  /** Keep sending after failures (the server stays up while its database is away). */
  persistent?: boolean;
}

async function post(o: Options, path: string, body: unknown): Promise<number | undefined> {
  try {
    const r = await fetch(`${o.api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await r.arrayBuffer();
    o.ledger.statuses.set(r.status, (o.ledger.statuses.get(r.status) ?? 0) + 1);
    return r.status;
  } catch {
    return undefined;
  }
}

async function logClient(o: Options, i: number, stopped: () => boolean): Promise<void> {
  for (let n = 0; !stopped(); ) {
    const markers = Array.from({ length: 25 }, () => `${o.prefix}l${i}n${n++}`);
    for (const m of markers) o.ledger.logs.set(m, 'sent');
    const status = await post(
      o,
      '/logs/',
      markers.map((m) => ({
        name: 'crash.client',
        level: 20,
        message: `${o.token} ${m}`,
        timestamp: iso(),
        flow_run_id: o.runs[i % o.runs.length],
      })),
    );
    if (status === 201) for (const m of markers) o.ledger.logs.set(m, 'acked');
    else if (status === undefined && !o.persistent) return;
    else if (status !== 201) await pause(50);
  }
}

function event(o: Options, name: string, extra: Record<string, unknown> = {}) {
  return {
    id: crypto.randomUUID(),
    occurred: iso(),
    event: name,
    resource: { 'prefect.resource.id': `crash.resource.${o.prefix}` },
    payload: {},
    ...extra,
  };
}

async function eventClient(o: Options, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const batch = Array.from({ length: 10 }, () => event(o, 'crash.http'));
    for (const e of batch) o.ledger.events.set(e.id, 'sent');
    const status = await post(o, '/events', batch);
    if (status === 204) {
      for (const e of batch) {
        o.ledger.events.set(e.id, 'acked');
        o.ledger.how.set(e.id, `POST /events → 204 at ${Date.now()}`);
      }
    } else if (status === undefined && !o.persistent) return;
    else if (status !== 204) await pause(50);
  }
}

/** A task run's `Running` event, shaped as the Prefect client sends it. */
function taskRunRunning(o: Options, taskRunId: string, flowRunId: string) {
  const now = iso();
  return event(o, 'prefect.task-run.Running', {
    resource: {
      'prefect.resource.id': `prefect.task-run.${taskRunId}`,
      'prefect.resource.name': `crash-task-${taskRunId.slice(0, 8)}`,
      'prefect.state-name': 'Running',
      'prefect.state-type': 'RUNNING',
      'prefect.state-timestamp': now,
      'prefect.orchestration': 'client',
    },
    related: [{ 'prefect.resource.id': `prefect.flow-run.${flowRunId}`, 'prefect.resource.role': 'flow-run' }],
    payload: {
      intended: { from: 'PENDING', to: 'RUNNING' },
      initial_state: { type: 'PENDING', name: 'Pending', message: '', state_details: {} },
      validated_state: { type: 'RUNNING', name: 'Running', message: '', state_details: {}, data: null },
      task_run: {
        name: `crash-task-${taskRunId.slice(0, 8)}`,
        task_key: 'crash-task',
        dynamic_key: taskRunId,
        empirical_policy: { max_retries: 0, retry_delay_seconds: 0, retries: 0, retry_delay: 0 },
        tags: [],
        labels: {},
        task_inputs: {},
        run_count: 1,
        flow_run_run_count: 1,
        expected_start_time: now,
        start_time: now,
        total_run_time: 0,
      },
    },
  });
}

/** `/events/in`: task-run events and plain ones; a ping every 10 frames, its pong acknowledges them. */
async function socketClient(o: Options, stopped: () => boolean): Promise<void> {
  const ws = new WebSocket(`${o.api.replace(/^http/, 'ws')}/events/in`, ['prefect']);
  const closed = new Promise<void>((resolve) => {
    ws.on('close', (code) => {
      o.ledger.closes.push(code);
      resolve();
    });
    ws.on('error', () => resolve());
  });
  const opened = await Promise.race([
    new Promise<boolean>((r) => ws.once('open', () => r(true))),
    closed.then(() => false),
  ]);
  if (!opened) return;
  ws.send(JSON.stringify({ type: 'auth', token: null }));
  // Frames sent before each ping, acknowledged together by its pong.
  const pending = new Map<number, { events: string[]; tasks: string[] }>();
  let current = { events: [] as string[], tasks: [] as string[] };
  let pings = 0;
  ws.on('pong', (data) => {
    const k = Number(data.toString());
    for (const [p, sent] of pending) {
      if (p > k) continue;
      const how = `/events/in pong ${k} (ping ${p}, ${pending.size} pings pending) at ${Date.now()}`;
      for (const id of sent.events) {
        o.ledger.events.set(id, 'acked');
        o.ledger.how.set(id, how);
      }
      for (const t of sent.tasks) {
        o.ledger.taskRuns.set(t, 'acked');
        o.ledger.how.set(t, how);
      }
      pending.delete(p);
    }
  });
  let open = true;
  void closed.then(() => (open = false));
  for (let n = 0; open && !stopped(); n++) {
    const taskRun = crypto.randomUUID();
    const e = n % 2 ? event(o, 'crash.socket') : taskRunRunning(o, taskRun, o.runs[n % o.runs.length]);
    o.ledger.events.set(e.id, 'sent');
    current.events.push(e.id);
    if (n % 2 === 0) {
      o.ledger.taskRuns.set(taskRun, 'sent');
      current.tasks.push(taskRun);
    }
    ws.send(JSON.stringify(e));
    if (current.events.length >= 10) {
      pending.set(++pings, current);
      current = { events: [], tasks: [] };
      ws.ping(String(pings));
    }
    // Keep the socket's buffer short: sent means handed to the kernel, not queued here.
    while (open && ws.bufferedAmount > 64 * 1024) await pause(5);
    await pause(1);
  }
  if (open) ws.close(1000);
  await closed;
}

/** Starts every client against `o.api`. */
export function startClients(o: Options, counts: { logs: number; events: number; sockets: number }): Clients {
  let stopped = false;
  const isStopped = () => stopped;
  const all = [
    ...Array.from({ length: counts.logs }, (_, i) => logClient(o, i, isStopped)),
    ...Array.from({ length: counts.events }, () => eventClient(o, isStopped)),
    ...Array.from({ length: counts.sockets }, () => socketClient(o, isStopped)),
  ];
  return {
    async stop() {
      stopped = true;
      await Promise.all(all);
    },
  };
}
