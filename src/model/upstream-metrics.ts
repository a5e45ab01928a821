import type { Metrics } from '../platform/metrics.js';

/** What one model endpoint reports about its traffic; bound to one (endpoint, model). */
export interface UpstreamRecorder {
  /** One HTTP request to the endpoint: 'ok' or the contract's error code. */
  call(outcome: string): void;
  /** Tokens the endpoint billed for one reply; `reasoningTokens` are part of the completion's. */
  tokens(promptTokens: number, completionTokens: number, reasoningTokens?: number): void;
  /** One structured prompt sent in json_object mode, the endpoint having refused json_schema. */
  jsonObjectRequest(): void;
}

/** The base URL as a metrics label: no credentials, query or trailing slash. */
export function endpointLabel(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return baseUrl;
  }
}

/** The circuit's label: one breaker per (base URL, model), e.g. `http://host/v1#qwen-vl-max`. */
export function circuitLabel(baseUrl: string, model: string): string {
  return `${endpointLabel(baseUrl)}#${model}`;
}

export function upstreamRecorder(metrics: Metrics, baseUrl: string, model: string): UpstreamRecorder {
  const endpoint = endpointLabel(baseUrl);
  return {
    call: (outcome) => metrics.upstreamCalls.inc({ endpoint, model, outcome }),
    tokens: (promptTokens, completionTokens, reasoningTokens = 0) => {
      if (promptTokens > 0) metrics.upstreamTokens.inc({ model, direction: 'in' }, promptTokens);
      if (completionTokens > 0) metrics.upstreamTokens.inc({ model, direction: 'out' }, completionTokens);
      if (reasoningTokens > 0) metrics.upstreamTokens.inc({ model, direction: 'reasoning' }, reasoningTokens);
    },
    jsonObjectRequest: () => metrics.jsonObjectRequests.inc({ endpoint, model }),
  };
}
