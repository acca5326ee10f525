/**
 * OTLP log records as Prefect `Log`s (issue 23): level from the severity, logger from the scope,
 * message from the body, run ids from the `prefect.*` attributes, and an id derived from the
 * record's content so that an exporter's retry is recognised (ADR 41).
 */
import { createHash } from 'node:crypto';
import { KEY_TEXT_MAX_BYTES } from '../../lib/schema.ts';
import type { Micros } from '../time.ts';
import type { OtlpAttributes, OtlpLogRecord, OtlpValue } from './model.ts';
import { nanosToMicros } from './spans.ts';

/** Python's level numbers by name, for a record that gives only `severityText`. */
const PYTHON_LEVELS: Record<string, number> = {
  CRITICAL: 50,
  FATAL: 50,
  ERROR: 40,
  WARNING: 30,
  WARN: 30,
  INFO: 20,
  DEBUG: 10,
  NOTSET: 0,
};

/** `severityNumber` 1–8 → 10 (DEBUG), 9–12 → 20, 13–16 → 30, 17–20 → 40, 21–24 → 50; 0 → the text's level, else 20. */
export function logLevel(severityNumber: number, severityText: string): number {
  if (severityNumber >= 1 && severityNumber <= 24)
    return [10, 10, 20, 30, 40, 50][Math.floor((severityNumber - 1) / 4)];
  return PYTHON_LEVELS[severityText.trim().toUpperCase()] ?? 20;
}

const strip = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

/** The body as a message: a string as is, any other value as JSON, none as ''. NUL is stripped. */
export function logMessage(body: OtlpValue | undefined): string {
  if (body === undefined || body === null) return '';
  return strip(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The logger name: the scope's name (`otel` when empty), cut to what a logger name may hold. */
export function loggerName(scope: string): string {
  let name = strip(scope).trim() || 'otel';
  while (Buffer.byteLength(name) > KEY_TEXT_MAX_BYTES) name = name.slice(0, -1);
  return name;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function runId(attrs: OtlpAttributes, keys: string[]): string | null {
  for (const k of keys) {
    const v = attrs[k];
    if (typeof v === 'string' && UUID.test(v.toLowerCase())) return v.toLowerCase();
  }
  return null;
}

const FLOW_RUN_KEYS = ['prefect.flow_run.id', 'prefect.flow-run.id'];
const TASK_RUN_KEYS = ['prefect.task_run.id', 'prefect.task-run.id'];

/** A record's runs from its own or its resource's attributes. */
export function attributeRuns(r: OtlpLogRecord): { flow_run_id: string | null; task_run_id: string | null } {
  return {
    flow_run_id: runId(r.attributes, FLOW_RUN_KEYS) ?? runId(r.resource, FLOW_RUN_KEYS),
    task_run_id: runId(r.attributes, TASK_RUN_KEYS) ?? runId(r.resource, TASK_RUN_KEYS),
  };
}

/**
 * The record's id: a UUID (version 8) from a SHA-256 of everything the record says — resource,
 * scope, times, severity, body, attributes, trace and span ids. Two identical records with the same
 * nanosecond timestamp are one.
 */
export function logId(r: OtlpLogRecord): string {
  const h = createHash('sha256')
    .update(
      JSON.stringify([
        r.resource,
        r.scope.name,
        r.scope.version,
        r.timeNanos.toString(),
        r.observedNanos.toString(),
        r.severityNumber,
        r.severityText,
        r.body ?? null,
        r.attributes,
        r.traceId,
        r.spanId,
      ]),
    )
    .digest('hex');
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `timeUnixNano`, else `observedTimeUnixNano`, truncated to microseconds. */
export function logTimestamp(r: OtlpLogRecord): Micros {
  return nanosToMicros(r.timeNanos || r.observedNanos);
}
