import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { CIRCUIT_STATE_VALUE, CircuitBreakerProvider } from './circuit.js';
import type { ModelProvider } from './provider.js';
import { outputCapOf } from './output-cap.js';
import { QuotaGuardProvider } from './quota-guard.js';
import { QwenVlProvider } from './qwen-vl-provider.js';
import { ResilientProvider } from './resilient-provider.js';
import { tracedFetch } from './traced-fetch.js';
import { UnconfiguredProvider } from './unconfigured-provider.js';
import { circuitLabel, endpointLabel, upstreamRecorder } from './upstream-metrics.js';
import type { UpstreamSlots } from './upstream-slots.js';

interface Endpoint {
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
}

/**
 * The model provider the app uses: the primary endpoint, then
 * QWEN_FALLBACKS in order, each a QwenVlProvider behind its own circuit
 * breaker and billing state (quota-guard.ts), all under one QWEN_DEADLINE_MS
 * per request. Upstream calls,
 * tokens and circuit states are recorded into `metrics`. `model` is the
 * primary's name (the cache key); answers carry the model that produced them.
 * `slots`: QWEN_GLOBAL_MAX_CONCURRENCY, shared by every endpoint's requests.
 * `logger` hears of an endpoint refusing to bill the account (a line to alert on).
 */
export function createModelProvider(config: Config, metrics: Metrics, slots?: UpstreamSlots, logger?: Logger): ModelProvider {
  const { model, resilience } = config;
  if (!model.configured) return new UnconfiguredProvider(model.name);

  const endpoints: Endpoint[] = [];
  for (const endpoint of [{ baseUrl: model.baseUrl, model: model.name, apiKey: model.apiKey }, ...resilience.fallbacks]) {
    // The same endpoint, model and key twice would only ask the same thing again.
    if (endpoints.some((e) => e.baseUrl === endpoint.baseUrl && e.model === endpoint.model && e.apiKey === endpoint.apiKey)) continue;
    endpoints.push(endpoint);
  }

  const labels = new Set<string>();
  const tiers = endpoints.map((endpoint) => {
    // One endpoint and model with two keys gets two circuits; keep their gauges apart.
    let label = circuitLabel(endpoint.baseUrl, endpoint.model);
    for (let n = 2; labels.has(label); n++) label = `${circuitLabel(endpoint.baseUrl, endpoint.model)}~${n}`;
    labels.add(label);

    const provider = new QwenVlProvider({
      baseUrl: endpoint.baseUrl,
      apiKey: endpoint.apiKey,
      model: endpoint.model,
      timeoutMs: model.timeoutMs,
      maxRetries: model.maxRetries,
      maxConcurrency: model.maxConcurrency,
      maxPixels: model.maxPixels,
      maxPromptsPerCall: model.maxPromptsPerCall,
      completionTokensPerAnswer: config.auth.tokenReservePerAnswer,
      maxOutputTokens: outputCapOf(endpoint.model, model.maxOutputTokens),
      highResolutionImages: model.highResolutionImages,
      recorder: upstreamRecorder(metrics, endpoint.baseUrl, endpoint.model),
      slots,
      // A span per request, only when tracing is on: without it the request path stays as it was.
      ...(config.tracing ? { fetch: tracedFetch({ baseUrl: endpoint.baseUrl, recordPrompts: config.logPrompts }) } : {}),
    });
    const circuit = new CircuitBreakerProvider(provider, {
      baseUrl: endpointLabel(endpoint.baseUrl),
      failureThreshold: resilience.circuitFailureThreshold,
      minRequests: resilience.circuitMinRequests,
      resetMs: resilience.circuitResetMs,
      slowCallMs: model.timeoutMs,
      maxConcurrency: model.maxConcurrency,
      onStateChange: (state) => metrics.circuitState.set({ endpoint: label }, CIRCUIT_STATE_VALUE[state]),
    });
    return new QuotaGuardProvider(circuit, {
      backoffSeconds: model.quotaBackoffSeconds,
      onExhausted: (error, untilMs) => {
        metrics.quotaExhaustedUntil.set({ endpoint: label }, untilMs / 1000);
        logger?.warn(
          { endpoint: label, resumeAt: new Date(untilMs).toISOString(), reason: error.message },
          'model provider refused to bill the account (MODEL_QUOTA_EXHAUSTED); not calling this endpoint until resumeAt',
        );
      },
    });
  });
  return new ResilientProvider(tiers, { deadlineMs: resilience.deadlineMs });
}
