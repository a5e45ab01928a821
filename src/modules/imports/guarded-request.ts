import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, type HostResolver, type RefuseAddress } from './guarded-lookup.js';
import { hostOf, portOf } from './import-url.js';
import { nonPublicRange } from './safe-address.js';

/** What a request says besides where it goes: method and headers (the body is written by the caller). */
export type RequestInit = Pick<http.RequestOptions, 'method' | 'headers'>;

/**
 * Starts an http(s) request that connects only to addresses that passed the
 * SSRF check (see guardedLookup), unless `refuse` is undefined (an
 * operator-allowed host). An IP-literal host, which net.connect does not look
 * up, is judged here: its refusal is thrown before any socket is opened. Each
 * request has a fresh agent, so no pooled socket skips the check. Redirects are
 * the caller's business: nothing here follows one.
 */
export function guardedRequest(url: URL, init: RequestInit, resolve: HostResolver, refuse: RefuseAddress | undefined): http.ClientRequest {
  const host = hostOf(url);
  if (refuse && isIP(host)) {
    const range = nonPublicRange(host);
    if (range !== undefined) throw refuse(host, range);
  }
  return (url.protocol === 'https:' ? https : http).request({
    ...init,
    protocol: url.protocol,
    hostname: host,
    port: portOf(url),
    path: `${url.pathname}${url.search}`,
    agent: false,
    lookup: guardedLookup(resolve, refuse),
  });
}

const CONNECT_FAILURES: Record<string, string> = {
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved (temporary DNS failure)',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  HPE_HEADER_OVERFLOW: 'the response headers are too large',
};

/** Why a connection or request failed, in words fit for the client (no addresses, no stack). */
export function connectionFailure(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return (
    CONNECT_FAILURES[code] ??
    (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) ? 'its TLS certificate was not accepted' : code.startsWith('HPE_') ? 'the response is not valid HTTP' : `the connection failed${code ? ` (${code})` : ''}`)
  );
}
