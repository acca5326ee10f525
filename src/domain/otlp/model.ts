/**
 * OpenTelemetry data as Sightline receives it over OTLP/HTTP, once decoded from protobuf or OTLP
 * JSON (the adapters in `api/otlp/` produce these): one shape for both encodings, ids as lower-case
 * hex, times in nanoseconds. What an item must satisfy to be stored is `spanProblem` /
 * `logProblem`; an item that fails is left out and counted in `partial_success`.
 */

/** An `AnyValue`: int64 is a number when safe, else its decimal string; bytes are base64. */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

/** A `KeyValue` list, in the order received (a repeated key keeps its last value). */
export type OtlpAttributes = Record<string, OtlpValue>;

export interface OtlpScope {
  name: string;
  version: string;
}

export interface OtlpEvent {
  timeNanos: bigint;
  name: string;
  attributes: OtlpAttributes;
}

export interface OtlpSpan {
  /** Hex as received: `spanProblem` checks it is 32 digits and not all zero. */
  traceId: string;
  spanId: string;
  /** '' for a root. */
  parentSpanId: string;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: OtlpAttributes;
  events: OtlpEvent[];
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: OtlpAttributes;
  scope: OtlpScope;
}

export interface OtlpLogRecord {
  timeNanos: bigint;
  observedNanos: bigint;
  severityNumber: number;
  severityText: string;
  /** Undefined when the record has no body. */
  body: OtlpValue | undefined;
  attributes: OtlpAttributes;
  /** '' when the record is not in a span. */
  traceId: string;
  spanId: string;
  resource: OtlpAttributes;
  scope: OtlpScope;
}

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/** A decoded export request. */
export type OtlpExport =
  | { signal: 'traces'; spans: OtlpSpan[] }
  | { signal: 'logs'; records: OtlpLogRecord[] }
  | { signal: 'metrics'; dataPoints: number };

/** What an export answers: how many items were left out and why (the first few reasons). */
export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** An int64 as a JSON value: a number when it is exact, else the decimal string. */
export function int64Value(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

const HEX = /^[0-9a-f]*$/;

function idProblem(what: string, id: string, digits: number): string | undefined {
  if (id.length !== digits || !HEX.test(id)) return `${what} is not ${digits} hex digits`;
  if (/^0+$/.test(id)) return `${what} is all zero`;
  return undefined;
}

/** Why a span cannot be stored, or undefined. */
export function spanProblem(s: OtlpSpan): string | undefined {
  return (
    idProblem('trace id', s.traceId, 32) ??
    idProblem('span id', s.spanId, 16) ??
    (s.parentSpanId === '' ? undefined : idProblem('parent span id', s.parentSpanId, 16)) ??
    (s.parentSpanId === s.spanId ? 'span is its own parent' : undefined) ??
    (s.startNanos === 0n ? 'start time is missing' : undefined) ??
    (s.endNanos !== 0n && s.endNanos < s.startNanos ? 'end time is before start time' : undefined)
  );
}

/** Why a log record cannot be stored, or undefined. */
export function logProblem(r: OtlpLogRecord): string | undefined {
  if (r.traceId !== '' || r.spanId !== '') {
    const p =
      (r.traceId === '' ? undefined : idProblem('trace id', r.traceId, 32)) ??
      (r.spanId === '' ? undefined : idProblem('span id', r.spanId, 16));
    if (p) return p;
  }
  if (r.timeNanos === 0n && r.observedNanos === 0n) return 'neither timeUnixNano nor observedTimeUnixNano is set';
  return undefined;
}

/** At most this many distinct reasons are named in `error_message`. */
const REASONS = 3;

/** Gathers rejections: the count and the first distinct reasons, with the first item each names. */
export class Rejections {
  count = 0;
  private readonly reasons = new Map<string, number>();

  add(reason: string, index: number): void {
    this.count++;
    if (this.reasons.size < REASONS && !this.reasons.has(reason)) this.reasons.set(reason, index);
  }

  result(what: string): PartialSuccess {
    const parts = [...this.reasons].map(([r, i]) => `${what} ${i}: ${r}`);
    const more = this.count > parts.length ? ` (${this.count} ${what}s rejected in all)` : '';
    return { rejected: this.count, errorMessage: this.count ? `${parts.join('; ')}${more}` : '' };
  }
}
