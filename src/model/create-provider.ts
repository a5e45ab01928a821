import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { CIRCUIT_STATE_VALUE, CircuitBreakerProvider } from './circuit.js';
import type { ModelProvider } from './provider.js';
import { outputCapOf } from './output-cap.js';
import { QuotaGuardProvider } from './quota-guard.js';
import { QwenVlProvider } from './qwen-vl-provider.js';
import { KindRoutes } from './kind-routes.js';
import type { JsonObjectFallbacks } from './json-object-fallbacks.js';
import { ResilientProvider } from './resilient-provider.js';
import { tracedFetch } from './traced-fetch.js';
import { UnconfiguredProvider } from './unconfigured-provider.js';
import { OpenAiEmbedder, type TextEmbedder } from './embedder.js';
import { circuitLabel, endpointLabel, upstreamRecorder } from './upstream-metrics.js';
import type { UpstreamSlots } from './upstream-slots.js';

/** What every endpoint's provider shares. */
interface SharedParts {
  slots: UpstreamSlots | undefined;
  logger: Logger | undefined;
  jsonObjectFallbacks: JsonObjectFallbacks | undefined;
}

interface Endpoint {
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
}

/**
 * The model provider the app uses: the primary endpoint, then the fallbacks
 * (QWEN_FALLBACK_MODELS on the primary endpoint, then QWEN_FALLBACKS) in
 * order, each a QwenVlProvider behind its own circuit breaker and billing
 * state (quota-guard.ts), all under one QWEN_DEADLINE_MS per request. A kind
 * of work routed to its own model (QWEN_OCR_MODEL) gets the same chain behind
 * that model; an endpoint and model reached by several chains is one tier,
 * with one breaker. Upstream calls, tokens and circuit states are recorded
 * into `metrics`. `model` is the primary's name (the cache key); answers
 * carry the model that produced them.
 * `slots`: QWEN_GLOBAL_MAX_CONCURRENCY, shared by every endpoint's requests.
 * `logger` hears of an endpoint refusing to bill the account (a line to alert on).
 * `jsonObjectFallbacks`: the endpoints known to take json_object only (stored; see json-object-fallbacks.ts).
 */
export function createModelProvider(config: Config, metrics: Metrics, slots?: UpstreamSlots, logger?: Logger, jsonObjectFallbacks?: JsonObjectFallbacks): ModelProvider {
  const { model, resilience } = config;
  if (!model.configured) return new UnconfiguredProvider(model.name);

  const tiers = new Map<string, ModelProvider>();
  const labels = new Set<string>();
  const tierOf = (endpoint: Endpoint): ModelProvider => {
    const key = JSON.stringify([endpoint.baseUrl, endpoint.model, endpoint.apiKey]);
    let tier = tiers.get(key);
    if (!tier) {
      // One endpoint and model with two keys gets two circuits; keep their gauges apart.
      let label = circuitLabel(endpoint.baseUrl, endpoint.model);
      for (let n = 2; labels.has(label); n++) label = `${circuitLabel(endpoint.baseUrl, endpoint.model)}~${n}`;
      labels.add(label);
      tier = endpointTier(config, metrics, endpoint, label, { slots, logger, jsonObjectFallbacks });
      tiers.set(key, tier);
    }
    return tier;
  };
  const chain = (name: string): ModelProvider => {
    const endpoints: Endpoint[] = [];
    for (const endpoint of [{ baseUrl: model.baseUrl, model: name, apiKey: model.apiKey }, ...resilience.fallbacks]) {
      // The same endpoint, model and key twice would only ask the same thing again.
      if (endpoints.some((e) => e.baseUrl === endpoint.baseUrl && e.model === endpoint.model && e.apiKey === endpoint.apiKey)) continue;
      endpoints.push(endpoint);
    }
    return new ResilientProvider(endpoints.map(tierOf), { deadlineMs: resilience.deadlineMs });
  };

  const primary = chain(model.name);
  const routed = Object.entries(model.modelsByKind).filter(([, name]) => name !== model.name);
  if (routed.length === 0) return primary;
  return new KindRoutes(primary, new Map(routed.map(([kind, name]) => [kind, chain(name)])));
}

/** CACHE_SIMILAR_PROMPTS: QWEN_EMBEDDING_MODEL on the primary endpoint; none when similar questions are off or no endpoint is configured. */
export function createEmbedder(config: Config): TextEmbedder | undefined {
  const settings = config.similarAnswers.prompts;
  if (!settings || !config.model.configured) return undefined;
  const { baseUrl, apiKey, timeoutMs, maxRetries } = config.model;
  return new OpenAiEmbedder({
    baseUrl,
    apiKey,
    model: settings.embeddingModel,
    timeoutMs,
    maxRetries,
    ...(config.tracing ? { fetch: tracedFetch({ baseUrl, recordPrompts: config.logPrompts }) } : {}),
  });
}

/** One endpoint and model: the provider, behind its circuit breaker, behind its billing state. */
function endpointTier(config: Config, metrics: Metrics, endpoint: Endpoint, label: string, shared: SharedParts): ModelProvider {
  const { slots, logger, jsonObjectFallbacks } = shared;
  const { model, resilience } = config;
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
    thinkingBudget: model.thinkingBudget,
    recorder: upstreamRecorder(metrics, endpoint.baseUrl, endpoint.model),
    slots,
    jsonObjectFallbacks,
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
}
