/**
 * OTLP protobuf ⇄ `domain/otlp/model.ts`, with the project's schema subset (`proto-subset.ts`)
 * and protobufjs. Ids arrive as bytes (written here as hex, like OTLP JSON), fixed64 times as
 * Long values, int64 attribute values as Long values.
 */
import protobuf from 'protobufjs';
import type {
  OtlpAttributes,
  OtlpExport,
  OtlpLogRecord,
  OtlpScope,
  OtlpSignal,
  OtlpSpan,
  OtlpValue,
  PartialSuccess,
} from '../../domain/otlp/model.ts';
import { int64Value } from '../../domain/otlp/model.ts';
import { OtlpDecodeError } from './decode-error.ts';
import { OTLP_PROTO } from './proto-subset.ts';

const root = protobuf.parse(OTLP_PROTO, { keepCase: false }).root;
const type = (name: string) => root.lookupType(`sightline.otlp.${name}`);
const REQUESTS: Record<OtlpSignal, protobuf.Type> = {
  traces: type('ExportTraceServiceRequest'),
  logs: type('ExportLogsServiceRequest'),
  metrics: type('ExportMetricsServiceRequest'),
};
const RESPONSES: Record<OtlpSignal, { type: protobuf.Type; rejectedKey: string }> = {
  traces: { type: type('ExportTraceServiceResponse'), rejectedKey: 'rejectedSpans' },
  logs: { type: type('ExportLogsServiceResponse'), rejectedKey: 'rejectedLogRecords' },
  metrics: { type: type('ExportMetricsServiceResponse'), rejectedKey: 'rejectedDataPoints' },
};
const STATUS = type('RpcStatus');

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

/** A decoded protobufjs message (untyped: its fields follow `proto-subset.ts`). */
type Msg = any;

function u64(v: number | LongLike | undefined | null): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

function i64(v: number | LongLike): bigint {
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high) << 32n) | BigInt(v.low >>> 0);
}

function hex(b: Uint8Array | undefined): string {
  return b?.length ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '';
}

function anyValue(v: Msg | undefined | null): OtlpValue {
  if (!v) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return int64Value(i64(v.intValue));
    case 'doubleValue':
      return v.doubleValue;
    case 'arrayValue':
      return (v.arrayValue.values ?? []).map(anyValue);
    case 'kvlistValue':
      return keyValues(v.kvlistValue.values);
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('base64');
    default:
      return null;
  }
}

function keyValues(kvs: Msg[] | undefined): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function scopeOf(s: Msg | undefined): OtlpScope {
  return { name: s?.name ?? '', version: s?.version ?? '' };
}

function spansOf(req: Msg): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = keyValues(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = scopeOf(ss.scope);
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          startNanos: u64(s.startTimeUnixNano),
          endNanos: u64(s.endTimeUnixNano),
          attributes: keyValues(s.attributes),
          events: (s.events ?? []).map((e: Msg) => ({
            timeNanos: u64(e.timeUnixNano),
            name: e.name,
            attributes: keyValues(e.attributes),
          })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

function recordsOf(req: Msg): OtlpLogRecord[] {
  const records: OtlpLogRecord[] = [];
  for (const rl of req.resourceLogs ?? []) {
    const resource = keyValues(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      const scope = scopeOf(sl.scope);
      for (const r of sl.logRecords ?? []) {
        records.push({
          timeNanos: u64(r.timeUnixNano),
          observedNanos: u64(r.observedTimeUnixNano),
          severityNumber: r.severityNumber,
          severityText: r.severityText,
          body: r.body ? anyValue(r.body) : undefined,
          attributes: keyValues(r.attributes),
          traceId: hex(r.traceId),
          spanId: hex(r.spanId),
          resource,
          scope,
        });
      }
    }
  }
  return records;
}

const METRIC_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

function dataPointsOf(req: Msg): number {
  let n = 0;
  for (const rm of req.resourceMetrics ?? [])
    for (const sm of rm.scopeMetrics ?? [])
      for (const m of sm.metrics ?? []) for (const k of METRIC_KINDS) n += m[k]?.dataPoints?.length ?? 0;
  return n;
}

/** Decodes an OTLP protobuf body. */
export function decodeOtlpProtobuf(signal: OtlpSignal, body: Uint8Array): OtlpExport {
  let req: Msg;
  try {
    req = REQUESTS[signal].decode(body);
  } catch (err) {
    throw new OtlpDecodeError(`The body is not a valid ${REQUESTS[signal].name} message: ${(err as Error).message}`);
  }
  if (signal === 'traces') return { signal, spans: spansOf(req) };
  if (signal === 'logs') return { signal, records: recordsOf(req) };
  return { signal, dataPoints: dataPointsOf(req) };
}

/** The `Export…ServiceResponse`: empty on full success, else with `partial_success`. */
export function encodeExportResponse(signal: OtlpSignal, partial: PartialSuccess | undefined): Uint8Array {
  const { type: t, rejectedKey } = RESPONSES[signal];
  const msg = partial
    ? { partialSuccess: { [rejectedKey]: partial.rejected, errorMessage: partial.errorMessage } }
    : {};
  return t.encode(t.fromObject(msg)).finish();
}

export function encodeStatus(code: number, message: string): Uint8Array {
  return STATUS.encode(STATUS.fromObject({ code, message })).finish();
}

/** For tests: the fields of a protobuf `Export…ServiceResponse` or `google.rpc.Status`. */
export function decodeResponse(kind: OtlpSignal | 'status', body: Uint8Array): Record<string, unknown> {
  const t = kind === 'status' ? STATUS : RESPONSES[kind].type;
  return t.toObject(t.decode(body), { longs: Number }) as Record<string, unknown>;
}
