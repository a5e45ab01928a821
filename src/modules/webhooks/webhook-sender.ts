import type { ClientRequest } from 'node:http';
import { GatewayError } from '../../platform/errors.js';
import { connectionFailure, guardedRequest, isAllowedHost, systemResolver, type HostResolver } from '../imports/index.js';

export interface WebhookSendOptions {
  /** WEBHOOK_ALLOWED_HOSTS: hosts whose addresses are not checked. */
  allowedHosts: readonly string[];
  /** WEBHOOK_TIMEOUT_MS: connect and the answer's status line together. */
  timeoutMs: number;
  /** Resolves host names in place of the system resolver; a seam for tests. */
  lookup?: HostResolver;
}

/** How one attempt went: a 2xx answer is a delivery, anything else a failure to retry. */
export interface AttemptOutcome {
  delivered: boolean;
  /** The receiver's HTTP status; null when it gave none (timeout, refusal, connection failure). */
  status: number | null;
  /** Why it failed, in words for the job's owner (Job.webhook.lastError); null when delivered. */
  error: string | null;
}

/**
 * POSTs one webhook attempt. The address connected to is checked as URL
 * imports check theirs (at connect time, so a name re-pointed at a private
 * address after submit is refused), redirects are not followed (a 3xx is a
 * failed attempt: a signed event is for the URL it was registered for), and the
 * body of the answer is not read. Never throws: every failure is an outcome.
 */
export function sendWebhook(url: URL, body: string, headers: Record<string, string>, options: WebhookSendOptions): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const refuse = isAllowedHost(url, options.allowedHosts) ? undefined : (_address: string, range: string) => refused(url, range);
    let request: ClientRequest;
    try {
      request = guardedRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, options.lookup ?? systemResolver, refuse);
    } catch (error) {
      return resolve(failed(null, describe(error as Error)));
    }
    const timer = setTimeout(() => request.destroy(new TimedOut(`The receiver did not answer within ${options.timeoutMs} ms (WEBHOOK_TIMEOUT_MS).`)), options.timeoutMs);
    request.on('response', (response) => {
      clearTimeout(timer);
      response.destroy();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status <= 299) resolve({ delivered: true, status, error: null });
      else if (status >= 300 && status <= 399) resolve(failed(status, `The receiver answered HTTP ${status}, a redirect; redirects are not followed: register the final URL.`));
      else resolve(failed(status, `The receiver answered HTTP ${status}; only a 2xx answer counts as delivered.`));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      resolve(failed(null, describe(error)));
    });
    request.end(body);
  });
}

class TimedOut extends Error {}

function failed(status: number | null, error: string): AttemptOutcome {
  return { delivered: false, status, error };
}

function describe(error: Error): string {
  if (error instanceof TimedOut || error instanceof GatewayError) return error.message;
  return `Could not reach the receiver: ${connectionFailure(error)}.`;
}

function refused(url: URL, range: string): GatewayError {
  return new GatewayError(
    'FORBIDDEN',
    `The webhook host "${url.host}" now leads to an address that is not publicly routable: ${range}. An operator can allow a trusted receiver in WEBHOOK_ALLOWED_HOSTS.`,
  );
}
