import { isIP } from 'node:net';
import { GatewayError } from '../../platform/errors.js';
import { hostOf, isAllowedHost, nonPublicRange, parseHttpUrl, systemResolver, type HostResolver } from '../imports/index.js';

export interface WebhookGuard {
  /** Hosts (`host` or `host:port`, lowercase) exempt from the address check: WEBHOOK_ALLOWED_HOSTS. */
  allowedHosts: readonly string[];
  /** Resolves host names in place of the system resolver; a seam for tests. */
  lookup?: HostResolver;
}

/**
 * Checks a webhookUrl when a job is submitted, with the rules of URL imports:
 * http(s), no credentials, and every address its host has now publicly
 * routable, unless the host is operator-allowed. Delivery checks the address it
 * connects to again (DNS rebinding), so this check is for the submitter's sake:
 * a URL that could never be delivered to is refused at once, with BAD_USER_INPUT.
 */
export async function checkWebhookUrl(input: string, guard: WebhookGuard): Promise<URL> {
  const url = parseHttpUrl(input, 'webhookUrl', 'webhook');
  if (isAllowedHost(url, guard.allowedHosts)) return url;
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await resolve(url, guard.lookup ?? systemResolver);
  for (const address of addresses) {
    const range = nonPublicRange(address);
    if (range !== undefined) {
      throw badInput(
        `webhookUrl's host "${url.host}" ${isIP(host) ? 'is' : 'resolves to'} an address that is not publicly routable: ${range}. ` +
          `An operator can allow a trusted receiver by adding "${url.hostname}" or "${url.host}" to WEBHOOK_ALLOWED_HOSTS.`,
      );
    }
  }
  return url;
}

async function resolve(url: URL, lookup: HostResolver): Promise<string[]> {
  try {
    const answer = await lookup(hostOf(url), 0);
    if (answer.length > 0) return answer.map(({ address }) => address);
  } catch {
    // reported below
  }
  throw badInput(`webhookUrl's host "${url.hostname}" could not be resolved; use a host name the gateway can resolve.`);
}

function badInput(message: string): GatewayError {
  return new GatewayError('BAD_USER_INPUT', message);
}
