/**
 * The real OpenTelemetry JS SDK as a test sender: tracer and logger providers with the OTLP/HTTP
 * exporters (JSON or protobuf, plain or gzip) pointed at a Sightline, and the partial-success
 * warnings the exporters log (what they read from Sightline's answers).
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export type Protocol = 'json' | 'protobuf';

export interface ExporterOptions {
  /** The full endpoint, e.g. `http://127.0.0.1:4200/api/otlp/v1/traces`. */
  url: string;
  protocol: Protocol;
  gzip?: boolean;
  headers?: Record<string, string>;
}

const warnings: string[] = [];
diag.setLogger(
  {
    error: (...a: unknown[]) => warnings.push(a.map(String).join(' ')),
    warn: (...a: unknown[]) => warnings.push(a.map(String).join(' ')),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

/** Everything the SDK warned about since the last call (partial successes, failed exports). */
export function takeWarnings(): string[] {
  return warnings.splice(0);
}

function exporterConfig(o: ExporterOptions) {
  return { url: o.url, headers: o.headers, compression: (o.gzip ? 'gzip' : 'none') as never };
}

export function tracerProvider(o: ExporterOptions, resource: Record<string, string> = { 'service.name': 'test-svc' }) {
  const exporter =
    o.protocol === 'json' ? new JsonTraceExporter(exporterConfig(o)) : new ProtoTraceExporter(exporterConfig(o));
  return new TracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
}

export function loggerProvider(o: ExporterOptions, resource: Record<string, string> = { 'service.name': 'test-svc' }) {
  const exporter =
    o.protocol === 'json' ? new JsonLogExporter(exporterConfig(o)) : new ProtoLogExporter(exporterConfig(o));
  return new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
}

/** Flushes and shuts a provider down: everything it exported has been answered then. */
export async function finish(p: { forceFlush(): Promise<void>; shutdown(): Promise<void> }): Promise<void> {
  await p.forceFlush();
  await p.shutdown();
}
