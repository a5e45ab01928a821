import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, served at /metrics. One registry per app (tests boot
 * several apps in one process), passed to whatever records into it.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'gateway_graphql_requests_total',
    help: 'GraphQL operations by operation name, type and outcome (ok or error).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'GraphQL operation latency by operation name.',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly upstreamCalls = new Counter({
    name: 'gateway_upstream_calls_total',
    help: 'Chat Completions requests sent to model endpoints, by endpoint, model and outcome (ok or an error code).',
    labelNames: ['endpoint', 'model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly upstreamTokens = new Counter({
    name: 'gateway_upstream_tokens_total',
    help: 'Tokens billed by model endpoints, by direction (in = prompt, out = completion).',
    labelNames: ['model', 'direction'] as const,
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'gateway_answer_cache_lookups_total',
    help: 'Answer lookups by result: hit (memory or database, or a shared in-flight call) or miss (asked upstream).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly dbStatements = new Counter({
    name: 'gateway_db_statements_total',
    help: 'SQL statements sent to the database (a cached answer should send none).',
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'gateway_circuit_state',
    help: 'Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });

  readonly jobs = new Gauge({
    name: 'gateway_jobs',
    help: 'Analysis jobs by status (read from the database when scraped).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly webSocketCloses = new Counter({
    name: 'gateway_websocket_closes_total',
    help: 'WebSockets the gateway closed itself, by reason (lifetime, idle, revoked, unauthorized, too_many, backlog).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly thumbnailsGenerated = new Counter({
    name: 'gateway_thumbnails_generated_total',
    help: 'Thumbnails rendered with sharp; a stored thumbnail is served without another.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
  }
}
