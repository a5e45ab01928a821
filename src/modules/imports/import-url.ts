import { isIP } from 'node:net';
import { GatewayError } from '../../platform/errors.js';

/** Longer URLs are refused before parsing (browsers and servers stop far earlier). */
export const MAX_URL_LENGTH = 8192;

/**
 * Parses an import URL (or a redirect's resolved Location) and enforces what
 * may be fetched at all: see parseHttpUrl.
 */
export function parseImportUrl(input: string, base?: URL): URL {
  return parseHttpUrl(input, base ? 'The URL redirected to a location that' : 'The url', 'import', base);
}

/**
 * Parses a URL the gateway itself will connect to (an import, a webhook) and
 * enforces what may be reached at all: http(s) only, no credentials. `what`
 * names the URL in messages ("webhookUrl"), `kind` what it is for ("webhook").
 * Messages never echo the URL, which may carry secrets in its user info, path or query.
 */
export function parseHttpUrl(input: string, what: string, kind: string, base?: URL): URL {
  if (input.length > MAX_URL_LENGTH) throw badUrl(`${what} is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw badUrl(base ? `${what} is not a valid URL.` : `${what} is not a valid absolute URL (expected http:// or https://).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badUrl(`${what} uses the ${url.protocol} scheme; only http: and https: ${kind} URLs are allowed.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw badUrl(`${what} contains a user name or password; credentials in ${kind} URLs are not allowed.`);
  }
  if (url.hostname === '') throw badUrl(`${what} has no host.`);
  return url;
}

/** The host without IPv6 brackets, as net.connect and dns.lookup want it. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Scheme, host and port only: safe to show and to log (no path, query or credentials). */
export function originOf(url: URL): string {
  return url.origin;
}

/**
 * Whether an operator exempted this URL's host from the address check.
 * Entries are `host` (any port) or `host:port`, matched case-insensitively
 * after the same normalisation URLs get (IDN to punycode, `127.1` to
 * `127.0.0.1`, IPv6 compressed); IPv6 hosts take brackets when a port is
 * given (`[::1]:8080`), and a trailing dot (fully qualified form) is ignored.
 */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  const host = trimDot(url.hostname);
  const port = portOf(url);
  return allowedHosts.some((raw) => {
    const entry = parseAllowedHost(raw);
    return entry !== undefined && entry.host === host && (entry.port === undefined || entry.port === port);
  });
}

/** `{ host, port? }` in URL.hostname form, or undefined for an entry that names no host. */
export function parseAllowedHost(raw: string): { host: string; port?: number } | undefined {
  const entry = raw.trim();
  if (isIP(entry) === 6) return normalizeHost(`[${entry}]`, undefined);
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!match?.[1]) return undefined;
  return normalizeHost(match[1], match[2] === undefined ? undefined : Number(match[2]));
}

function normalizeHost(host: string, port: number | undefined): { host: string; port?: number } | undefined {
  try {
    const hostname = trimDot(new URL(`http://${host}/`).hostname);
    return hostname === '' ? undefined : port === undefined ? { host: hostname } : { host: hostname, port };
  } catch {
    return undefined;
  }
}

function trimDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function badUrl(message: string): GatewayError {
  return new GatewayError('BAD_USER_INPUT', message);
}
