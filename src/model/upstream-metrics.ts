import OpenAI from 'openai';
import type { Metrics } from '../platform/metrics.js';
import { toModelError } from './qwen-errors.js';

/** What one model endpoint reports about its traffic; bound to one (endpoint, model). */
export interface UpstreamRecorder {
  /** One HTTP request to the endpoint: 'ok' or the contract's error code. */
  call(outcome: string): void;
  /** Tokens the endpoint billed for one reply. */
  tokens(promptTokens: number, completionTokens: number): void;
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
    tokens: (promptTokens, completionTokens) => {
      if (promptTokens > 0) metrics.upstreamTokens.inc({ model, direction: 'in' }, promptTokens);
      if (completionTokens > 0) metrics.upstreamTokens.inc({ model, direction: 'out' }, completionTokens);
    },
  };
}

/** The code a non-2xx status maps to, by the same rules as the error the SDK finally throws. */
export function outcomeForStatus(status: number, headers: Headers, baseUrl: string): string {
  return toModelError(new OpenAI.APIError(status, undefined, undefined, headers), baseUrl).code;
}

/**
 * A fetch for the OpenAI client that counts every HTTP attempt, the SDK's own
 * retries included. Failures are counted here (a non-2xx status, or no
 * response at all: refused, reset, timed out, aborted); a 2xx is counted by
 * the caller once the body has been read, since a 200 can still be unusable.
 */
export function countingFetch(recorder: UpstreamRecorder, baseUrl: string, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      recorder.call('MODEL_UNAVAILABLE');
      throw error;
    }
    if (!response.ok) recorder.call(outcomeForStatus(response.status, response.headers, baseUrl));
    return response;
  };
}
