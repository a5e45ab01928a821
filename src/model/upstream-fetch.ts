import OpenAI from 'openai';
import { toModelError } from './qwen-errors.js';
import type { UpstreamRecorder } from './upstream-metrics.js';

/** The error a failed response will become, read from a copy of its body (the SDK reads the original). */
async function errorOf(response: Response): Promise<InstanceType<typeof OpenAI.APIError>> {
  let body: unknown;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    body = undefined;
  }
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return new OpenAI.APIError(response.status, typeof error === 'object' && error !== null ? error : undefined, undefined, response.headers);
}

/**
 * The fetch the OpenAI client uses. A failed response is classified by its
 * status and error body, as the error the SDK will throw for it: each HTTP
 * attempt, the SDK's own retries included, is counted with that code (a
 * request that got no response at all as MODEL_UNAVAILABLE; a 2xx is counted
 * by the caller once its body has been read, since it can still be
 * unusable), and a billing refusal is marked `x-should-retry: false`, so the
 * SDK does not retry a 429 `insufficient_quota` as if it were a rate limit.
 */
export function upstreamFetch(baseUrl: string, recorder: UpstreamRecorder | undefined, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      recorder?.call('MODEL_UNAVAILABLE');
      throw error;
    }
    if (response.ok) return response;
    const { code } = toModelError(await errorOf(response), baseUrl);
    recorder?.call(code);
    if (code !== 'MODEL_QUOTA_EXHAUSTED') return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
