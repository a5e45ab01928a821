import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import { GatewayError } from '../errors.js';
import { sendRequestError } from './json-errors.js';

/**
 * Which `Host` a request may name: the defence against DNS rebinding, where a
 * page on evil.example has its name re-pointed at the gateway's address and so
 * reads the gateway as its own origin (CORS and Origin checks both pass). The
 * browser still sends `Host: evil.example`, so only names the operator knows
 * are answered: `localhost`, PUBLIC_URL's host and ALLOWED_HOSTS (`*.name`
 * covers subdomains), any port. An IP address is always admitted: rebinding
 * needs a name to re-point, and probes and scrapers (kubelet, Prometheus)
 * address a pod by its IP. A request without Host (HTTP/1.0) is no browser's.
 * One rule for HTTP requests and WebSocket upgrades, checked before anything
 * else runs.
 */

export class AllowedHosts {
  private readonly names: Set<string>;
  private readonly suffixes: string[];
  /**
   * Verdicts by Host value: the same few arrive on every request, and parsing
   * each as a URL again was 0.6% of a cached answer's CPU. Bounded, since any IP
   * literal is admitted and a client can send as many as it likes.
   */
  private readonly verdicts = new LRUCache<string, boolean>({ max: 256, maxSize: 64 * 1024, sizeCalculation: (_verdict, host) => host.length + 1 });

  /** `listed`: ALLOWED_HOSTS ('any': no check); `publicUrl`: PUBLIC_URL, whose host is always admitted. */
  constructor(
    private readonly listed: readonly string[] | 'any',
    private readonly publicUrl: string | undefined,
  ) {
    const names = ['localhost', ...(publicUrl ? [new URL(publicUrl).hostname] : []), ...(listed === 'any' ? [] : listed)];
    this.names = new Set(names.filter((name) => !name.startsWith('*.')));
    this.suffixes = names.filter((name) => name.startsWith('*.')).map((name) => name.slice(1));
  }

  /** Whether a `Host` header value names this gateway. */
  admits(host: string | undefined): boolean {
    if (this.listed === 'any' || host === undefined) return true;
    let verdict = this.verdicts.get(host);
    if (verdict === undefined) {
      verdict = this.judge(host);
      this.verdicts.set(host, verdict);
    }
    return verdict;
  }

  private judge(host: string): boolean {
    const hostname = URL.canParse(`http://${host}`) ? new URL(`http://${host}`).hostname.replace(/\.$/, '') : undefined;
    if (hostname === undefined) return false;
    if (isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0) return true;
    return this.names.has(hostname) || this.suffixes.some((suffix) => hostname.endsWith(suffix));
  }

  /**
   * Where minted URLs (signed image and export links) start: PUBLIC_URL; else
   * the host the client addressed, which `admits` has vouched for; else (the
   * check is off, so the Host could be anyone's) none: the URLs are relative.
   * No trailing slash.
   */
  baseUrlOf(request: IncomingMessage): string {
    if (this.publicUrl) return this.publicUrl;
    if (this.listed === 'any' || request.headers.host === undefined) return '';
    const scheme = 'encrypted' in request.socket && request.socket.encrypted ? 'https' : 'http';
    return `${scheme}://${request.headers.host}`;
  }

  /** Why a host is refused, naming the setting that admits it: 421 Misdirected Request (this server does not answer for that host), code FORBIDDEN. */
  static refusal(host: string | undefined): GatewayError {
    return new GatewayError(
      'FORBIDDEN',
      `This gateway does not answer for the host "${host}" (a DNS rebinding guard). If that is its address, add the name to ALLOWED_HOSTS or set PUBLIC_URL.`,
      { httpStatus: 421 },
    );
  }

  /** First on every route: another host gets 421 FORBIDDEN before anything runs (true: refused and answered). */
  refuse(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.admits(req.headers.host)) return false;
    sendRequestError(req, res, AllowedHosts.refusal(req.headers.host));
    return true;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!this.refuse(req, res)) next();
    };
  }
}
