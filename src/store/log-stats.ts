/**
 * Per-batch aggregation of the statistics every engine maintains at ingest (`LogStore.runStats`
 * and `observedLoggers`): one entry per flow run, per logger name and per (flow run, logger
 * name), so that an append does one upsert per distinct key rather than one per log.
 */
import type { Micros } from '../domain/time.ts';

/** However the engine keys a workspace in its tables. */
export type WsKey = number | string;

export interface RunDelta {
  ws: WsKey;
  flowRunId: string;
  count: number;
  maxSeq: number;
}

export interface LoggerDelta {
  ws: WsKey;
  flowRunId: string | null;
  name: string;
  count: number;
  firstSeen: Micros;
  lastSeen: Micros;
}

export interface LogStatsDelta {
  runs: RunDelta[];
  /** Workspace-wide (`flowRunId` null) … */
  loggers: LoggerDelta[];
  /** … and per flow run. */
  runLoggers: LoggerDelta[];
}

interface Row {
  seq: number;
  name: string;
  timestamp: Micros;
  flow_run_id: string | null;
}

function addLogger(map: Map<string, LoggerDelta>, key: string, ws: WsKey, r: Row, flowRunId: string | null): void {
  const d = map.get(key);
  if (!d) {
    map.set(key, { ws, flowRunId, name: r.name, count: 1, firstSeen: r.timestamp, lastSeen: r.timestamp });
    return;
  }
  d.count++;
  if (r.timestamp < d.firstSeen) d.firstSeen = r.timestamp;
  if (r.timestamp > d.lastSeen) d.lastSeen = r.timestamp;
}

/** `keys[i]` is the workspace key of `rows[i]`. */
export function aggregateLogStats(rows: readonly Row[], keys: readonly WsKey[]): LogStatsDelta {
  const runs = new Map<string, RunDelta>();
  const loggers = new Map<string, LoggerDelta>();
  const runLoggers = new Map<string, LoggerDelta>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const ws = keys[i];
    addLogger(loggers, `${ws}\u0000${r.name}`, ws, r, null);
    const run = r.flow_run_id;
    if (run === null) continue;
    const key = `${ws}\u0000${run}`;
    const d = runs.get(key);
    if (!d) runs.set(key, { ws, flowRunId: run, count: 1, maxSeq: r.seq });
    else {
      d.count++;
      if (r.seq > d.maxSeq) d.maxSeq = r.seq;
    }
    addLogger(runLoggers, `${key}\u0000${r.name}`, ws, r, run);
  }
  return { runs: [...runs.values()], loggers: [...loggers.values()], runLoggers: [...runLoggers.values()] };
}
