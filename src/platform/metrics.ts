import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** METRICS_TENANT_LABELS: the usage counters also carry a `tenant` label. */
  tenantLabels: boolean;
  /** METRICS_MAX_TENANT_LABELS: tenants labelled by name; later ones share the label `other`. */
  maxTenantLabels: number;
}

/** The tenant label of tenants past METRICS_MAX_TENANT_LABELS. */
export const OTHER_TENANT_LABEL = 'other';

/**
 * Prometheus metrics, served at /metrics. One registry per app (tests boot
 * several apps in one process), passed to whatever records into it.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Tenants given a label of their own, in order of first use (bounded, so series cannot grow without end). */
  private readonly labelledTenants = new Set<string>();

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

  readonly jsonObjectRequests = new Counter({
    name: 'gateway_json_object_requests_total',
    help: 'Structured prompts sent with response_format json_object because the endpoint and model refused json_schema (the fallback is stored per endpoint and model).',
    labelNames: ['endpoint', 'model'] as const,
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
    help: 'Tokens billed by model endpoints, by direction (in = prompt, out = completion; reasoning = the part of out a thinking model spent reasoning).',
    labelNames: ['model', 'direction'] as const,
    registers: [this.registry],
  });

  readonly cacheHitsByMatch = new Counter({
    name: 'gateway_answer_cache_hits_total',
    help: 'Answers served from the cache, by how they matched: EXACT (the same bytes, prompt and model), SIMILAR_IMAGE (a near-duplicate image), SIMILAR_PROMPT (a similar question).',
    labelNames: ['match'] as const,
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

  readonly quotaExhaustedUntil = new Gauge({
    name: 'gateway_upstream_quota_exhausted_until_seconds',
    help: 'Per endpoint and model: when calls resume (Unix time) after the provider last refused to bill the account (MODEL_QUOTA_EXHAUSTED); alert while it is above time().',
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

  // The usage counters (modules/analytics records them): what `Query.usage` sums, as it happens.
  readonly modelCalls: Counter<string>;
  readonly modelTokens: Counter<string>;
  readonly results: Counter<string>;
  readonly tokensSaved: Counter<string>;

  readonly upstreamLatency = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Latency of upstream model requests (a packed request once), by model, kind and outcome.',
    labelNames: ['model', 'kind', 'outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
    registers: [this.registry],
  });

  constructor(private readonly options: MetricsOptions = { tenantLabels: false, maxTenantLabels: 0 }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    const tenant = options.tenantLabels ? ['tenant'] : [];
    this.modelCalls = new Counter({
      name: 'gateway_model_calls_total',
      help: 'Upstream model requests (a packed request once) by model, kind and outcome (ok or an error code).',
      labelNames: ['model', 'kind', 'outcome', ...tenant],
      registers: [this.registry],
    });
    this.modelTokens = new Counter({
      name: 'gateway_model_tokens_total',
      help: 'Tokens billed by model endpoints by model, kind and type (prompt, completion; cached: prompt tokens served from the endpoint cache).',
      labelNames: ['model', 'kind', 'type', ...tenant],
      registers: [this.registry],
    });
    this.results = new Counter({
      name: 'gateway_results_total',
      help: 'Results served by model and kind, by source: model (an upstream call made for it) or cache (no call).',
      labelNames: ['model', 'kind', 'source', ...tenant],
      registers: [this.registry],
    });
    this.tokensSaved = new Counter({
      name: 'gateway_tokens_saved_total',
      help: 'Tokens the results served from the cache would have cost, at their stored usage.',
      labelNames: ['model', 'kind', ...tenant],
      registers: [this.registry],
    });
    const lookups = this.cacheLookups;
    new Gauge({
      name: 'gateway_answer_cache_hit_ratio',
      help: 'Answer lookups served without an upstream call, as a share of all since the process started (0 before any).',
      registers: [this.registry],
      async collect() {
        const values = (await lookups.get()).values;
        const count = (result: string) => values.filter((v) => v.labels.result === result).reduce((sum, v) => sum + v.value, 0);
        const hits = count('hit');
        const all = hits + count('miss');
        this.set(all === 0 ? 0 : hits / all);
      },
    });
  }

  /** The usage counters' labels: `base`, plus the tenant when METRICS_TENANT_LABELS is on. */
  usageLabelsFor(base: Record<string, string>, tenant: string): Record<string, string> {
    return this.options.tenantLabels ? { ...base, tenant: this.tenantLabel(tenant) } : base;
  }

  private tenantLabel(tenant: string): string {
    if (this.labelledTenants.has(tenant)) return tenant;
    if (this.labelledTenants.size >= this.options.maxTenantLabels) return OTHER_TENANT_LABEL;
    this.labelledTenants.add(tenant);
    return tenant;
  }
}
