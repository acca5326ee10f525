/**
 * OTLP JSON → `domain/otlp/model.ts`. OTLP's JSON departs from proto3 JSON: ids are hex, enums are
 * integers, int64 may be a string or a number, keys are lowerCamelCase (the snake_case spelling is
 * read too, as proto3 JSON parsers do), unknown fields are ignored. A value of the wrong JSON type
 * makes the whole body undecodable (`OtlpDecodeError`, 400); an id of the wrong length only its item.
 */
import type {
  OtlpAttributes,
  OtlpEvent,
  OtlpExport,
  OtlpLogRecord,
  OtlpScope,
  OtlpSignal,
  OtlpSpan,
  OtlpValue,
} from '../../domain/otlp/model.ts';
import { int64Value } from '../../domain/otlp/model.ts';
import { OtlpDecodeError } from './decode-error.ts';

type Obj = Record<string, unknown>;

function field(o: Obj, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake];
}

function obj(v: unknown, path: string): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new OtlpDecodeError(`${path} is not an object`);
  return v as Obj;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${path} is not an array`);
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new OtlpDecodeError(`${path} is not a string`);
  return v;
}

function int(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new OtlpDecodeError(`${path} is not an integer`);
  return v;
}

const U64_MAX = (1n << 64n) - 1n;

/** A fixed64 time in nanoseconds: never negative. */
function time(v: unknown, path: string): bigint {
  const t = int64(v, path);
  if (t < 0n || t > U64_MAX) throw new OtlpDecodeError(`${path} is not a time in nanoseconds since 1970`);
  return t;
}

function int64(v: unknown, path: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  throw new OtlpDecodeError(`${path} is not an integer (a number or a string of digits)`);
}

/** A hex id, lower-cased; checked for length by the domain rules. */
function hexId(v: unknown, path: string): string {
  return str(v, path).toLowerCase();
}

function anyValue(v: unknown, path: string, depth: number): OtlpValue {
  if (depth > 32) throw new OtlpDecodeError(`${path} is nested too deeply`);
  const o = obj(v, path);
  if ('stringValue' in o || 'string_value' in o) return str(field(o, 'stringValue', 'string_value'), path);
  if ('boolValue' in o || 'bool_value' in o) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new OtlpDecodeError(`${path}.boolValue is not a boolean`);
    return b;
  }
  if ('intValue' in o || 'int_value' in o)
    return int64Value(int64(field(o, 'intValue', 'int_value'), `${path}.intValue`));
  if ('doubleValue' in o || 'double_value' in o) {
    const d = field(o, 'doubleValue', 'double_value');
    if (typeof d === 'number') return d;
    // proto3 JSON writes NaN and the infinities as strings; JSON has no number for them.
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return d;
    throw new OtlpDecodeError(`${path}.doubleValue is not a number`);
  }
  if ('arrayValue' in o || 'array_value' in o) {
    const a = obj(field(o, 'arrayValue', 'array_value'), `${path}.arrayValue`);
    return list(a.values, `${path}.arrayValue.values`).map((x, i) =>
      anyValue(x, `${path}.arrayValue.values[${i}]`, depth + 1),
    );
  }
  if ('kvlistValue' in o || 'kvlist_value' in o) {
    const kv = obj(field(o, 'kvlistValue', 'kvlist_value'), `${path}.kvlistValue`);
    return keyValues(kv.values, `${path}.kvlistValue.values`, depth + 1);
  }
  if ('bytesValue' in o || 'bytes_value' in o) return str(field(o, 'bytesValue', 'bytes_value'), `${path}.bytesValue`);
  return null;
}

function keyValues(v: unknown, path: string, depth = 0): OtlpAttributes {
  const out: OtlpAttributes = {};
  list(v, path).forEach((kv, i) => {
    const o = obj(kv, `${path}[${i}]`);
    out[str(o.key, `${path}[${i}].key`)] = anyValue(o.value, `${path}[${i}].value`, depth);
  });
  return out;
}

function scopeOf(v: unknown, path: string): OtlpScope {
  const o = obj(v, path);
  return { name: str(o.name, `${path}.name`), version: str(o.version, `${path}.version`) };
}

function resourceOf(v: unknown, path: string): OtlpAttributes {
  return keyValues(obj(v, path).attributes, `${path}.attributes`);
}

function spansOf(body: Obj): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  list(field(body, 'resourceSpans', 'resource_spans'), 'resourceSpans').forEach((rs, i) => {
    const r = obj(rs, `resourceSpans[${i}]`);
    const resource = resourceOf(r.resource, `resourceSpans[${i}].resource`);
    list(field(r, 'scopeSpans', 'scope_spans'), `resourceSpans[${i}].scopeSpans`).forEach((ss, j) => {
      const p = `resourceSpans[${i}].scopeSpans[${j}]`;
      const s = obj(ss, p);
      const scope = scopeOf(s.scope, `${p}.scope`);
      list(s.spans, `${p}.spans`).forEach((sp, k) => {
        const q = `${p}.spans[${k}]`;
        const o = obj(sp, q);
        const status = obj(o.status, `${q}.status`);
        spans.push({
          traceId: hexId(field(o, 'traceId', 'trace_id'), `${q}.traceId`),
          spanId: hexId(field(o, 'spanId', 'span_id'), `${q}.spanId`),
          parentSpanId: hexId(field(o, 'parentSpanId', 'parent_span_id'), `${q}.parentSpanId`),
          name: str(o.name, `${q}.name`),
          kind: int(o.kind, `${q}.kind`),
          startNanos: time(field(o, 'startTimeUnixNano', 'start_time_unix_nano'), `${q}.startTimeUnixNano`),
          endNanos: time(field(o, 'endTimeUnixNano', 'end_time_unix_nano'), `${q}.endTimeUnixNano`),
          attributes: keyValues(o.attributes, `${q}.attributes`),
          events: list(o.events, `${q}.events`).map((e, n): OtlpEvent => {
            const eo = obj(e, `${q}.events[${n}]`);
            return {
              timeNanos: time(field(eo, 'timeUnixNano', 'time_unix_nano'), `${q}.events[${n}].timeUnixNano`),
              name: str(eo.name, `${q}.events[${n}].name`),
              attributes: keyValues(eo.attributes, `${q}.events[${n}].attributes`),
            };
          }),
          status: { code: int(status.code, `${q}.status.code`), message: str(status.message, `${q}.status.message`) },
          resource,
          scope,
        });
      });
    });
  });
  return spans;
}

function recordsOf(body: Obj): OtlpLogRecord[] {
  const records: OtlpLogRecord[] = [];
  list(field(body, 'resourceLogs', 'resource_logs'), 'resourceLogs').forEach((rl, i) => {
    const r = obj(rl, `resourceLogs[${i}]`);
    const resource = resourceOf(r.resource, `resourceLogs[${i}].resource`);
    list(field(r, 'scopeLogs', 'scope_logs'), `resourceLogs[${i}].scopeLogs`).forEach((sl, j) => {
      const p = `resourceLogs[${i}].scopeLogs[${j}]`;
      const s = obj(sl, p);
      const scope = scopeOf(s.scope, `${p}.scope`);
      list(field(s, 'logRecords', 'log_records'), `${p}.logRecords`).forEach((lr, k) => {
        const q = `${p}.logRecords[${k}]`;
        const o = obj(lr, q);
        const body = o.body;
        records.push({
          timeNanos: time(field(o, 'timeUnixNano', 'time_unix_nano'), `${q}.timeUnixNano`),
          observedNanos: time(field(o, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${q}.observedTimeUnixNano`),
          severityNumber: int(field(o, 'severityNumber', 'severity_number'), `${q}.severityNumber`),
          severityText: str(field(o, 'severityText', 'severity_text'), `${q}.severityText`),
          body: body === undefined || body === null ? undefined : anyValue(body, `${q}.body`, 0),
          attributes: keyValues(o.attributes, `${q}.attributes`),
          traceId: hexId(field(o, 'traceId', 'trace_id'), `${q}.traceId`),
          spanId: hexId(field(o, 'spanId', 'span_id'), `${q}.spanId`),
          resource,
          scope,
        });
      });
    });
  });
  return records;
}

const METRIC_KINDS: [string, string][] = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];

function dataPointsOf(body: Obj): number {
  let n = 0;
  list(field(body, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics').forEach((rm, i) => {
    const r = obj(rm, `resourceMetrics[${i}]`);
    list(field(r, 'scopeMetrics', 'scope_metrics'), `resourceMetrics[${i}].scopeMetrics`).forEach((sm, j) => {
      const p = `resourceMetrics[${i}].scopeMetrics[${j}]`;
      list(obj(sm, p).metrics, `${p}.metrics`).forEach((m, k) => {
        const mo = obj(m, `${p}.metrics[${k}]`);
        for (const [camel, snake] of METRIC_KINDS) {
          const data = field(mo, camel, snake);
          if (data !== undefined && data !== null)
            n += list(
              field(obj(data, `${p}.metrics[${k}].${camel}`), 'dataPoints', 'data_points'),
              `${p}.metrics[${k}].${camel}.dataPoints`,
            ).length;
        }
      });
    });
  });
  return n;
}

/** Decodes an OTLP JSON body (already parsed). */
export function decodeOtlpJson(signal: OtlpSignal, parsed: unknown): OtlpExport {
  const body = obj(parsed, 'the request body');
  if (signal === 'traces') return { signal, spans: spansOf(body) };
  if (signal === 'logs') return { signal, records: recordsOf(body) };
  return { signal, dataPoints: dataPointsOf(body) };
}
