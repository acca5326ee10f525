/**
 * Per-batch aggregation of the statistics every engine maintains at ingest (`LogStore.runStats`
 * and `observedLoggers`): one entry per flow run, per logger name and per (flow run, logger
 * name), so that an append does one upsert per distinct key rather than one per log.
 */
import type { Micros } from '../../domain/time.ts';

/** However the engine keys a workspace in its tables. */
export type WsKey = number | string;

export interface RunDelta {
  ws: WsKey;
  flowRunId: string;
  count: number;
  maxSeq: number;
  /** Logs at WARNING level (30–39) and at ERROR or above (≥ 40). */
  warnings: number;
  errors: number;
}

/** The level classes the per-run counters keep: WARNING (30–39) and ERROR and above (≥ 40). */
export const WARNING_LEVEL = 30;
export const ERROR_LEVEL = 40;

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
  level: number;
  name: string;
  timestamp: Micros;
  flow_run_id: string | null;
}

function newLogger(ws: WsKey, flowRunId: string | null, r: Row): LoggerDelta {
  return { ws, flowRunId, name: r.name, count: 0, firstSeen: r.timestamp, lastSeen: r.timestamp };
}

function addTo(d: LoggerDelta, r: Row): void {
  d.count++;
  if (r.timestamp < d.firstSeen) d.firstSeen = r.timestamp;
  if (r.timestamp > d.lastSeen) d.lastSeen = r.timestamp;
}

/** `keys[i]` is the workspace key of `rows[i]`. */
export function aggregateLogStats(rows: readonly Row[], keys: readonly WsKey[]): LogStatsDelta {
  const runs = new Map<string, RunDelta>();
  const loggers = new Map<string, LoggerDelta>();
  const runLoggers = new Map<string, LoggerDelta>();
  // Batches are mostly long stretches of one run and logger: reuse the previous row's entries.
  let prev: Row | undefined;
  let prevWs: WsKey | undefined;
  let logger: LoggerDelta | undefined;
  let run: RunDelta | undefined;
  let runLogger: LoggerDelta | undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const ws = keys[i];
    const sameWs = prev !== undefined && ws === prevWs;
    if (!(sameWs && r.name === prev!.name && logger)) {
      const k = `${ws}\u0000${r.name}`;
      logger = loggers.get(k);
      if (!logger) loggers.set(k, (logger = newLogger(ws, null, r)));
    }
    addTo(logger, r);
    const runId = r.flow_run_id;
    if (runId === null) {
      run = undefined;
      runLogger = undefined;
    } else {
      const sameRun = sameWs && runId === prev!.flow_run_id && run !== undefined;
      if (!sameRun) {
        const k = `${ws}\u0000${runId}`;
        run = runs.get(k);
        if (!run) runs.set(k, (run = { ws, flowRunId: runId, count: 0, maxSeq: r.seq, warnings: 0, errors: 0 }));
      }
      run!.count++;
      if (r.seq > run!.maxSeq) run!.maxSeq = r.seq;
      if (r.level >= ERROR_LEVEL) run!.errors++;
      else if (r.level >= WARNING_LEVEL) run!.warnings++;
      if (!(sameRun && r.name === prev!.name && runLogger)) {
        const k = `${ws}\u0000${runId}\u0000${r.name}`;
        runLogger = runLoggers.get(k);
        if (!runLogger) runLoggers.set(k, (runLogger = newLogger(ws, runId, r)));
      }
      addTo(runLogger, r);
    }
    prev = r;
    prevWs = ws;
  }
  return { runs: [...runs.values()], loggers: [...loggers.values()], runLoggers: [...runLoggers.values()] };
}
