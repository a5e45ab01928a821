/**
 * OpenTelemetry tracing, on only when an OTLP endpoint is configured: the SDK
 * and its exporter are imported here, dynamically, so a gateway without
 * OTEL_EXPORTER_OTLP_ENDPOINT never loads them. Instrumented code uses
 * `@opentelemetry/api` alone, which is a no-op until `register()` below.
 */
import type { TracingSettings } from '../config.js';

export interface Tracing {
  /** Exports the spans still buffered, then stops (the graceful SIGTERM path). */
  shutdown(): Promise<void>;
}

/**
 * Registers a global tracer provider exporting over OTLP/HTTP in
 * OTEL_EXPORTER_OTLP_PROTOCOL's encoding, W3C `traceparent` propagation and an
 * AsyncLocalStorage context; null when tracing is off. The exporter reads its
 * endpoint, headers and timeout, and the SDK its sampler
 * (OTEL_TRACES_SAMPLER/_ARG), from the standard variables themselves.
 */
export async function startTracing(settings: TracingSettings | null): Promise<Tracing | null> {
  if (!settings) return null;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { defaultResource, detectResources, envDetector, resourceFromAttributes }, { ATTR_SERVICE_NAME }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    settings.protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }))
    // OTEL_RESOURCE_ATTRIBUTES (deployment.environment, service.instance.id, ...).
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
