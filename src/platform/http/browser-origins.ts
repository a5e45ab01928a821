import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors.js';
import { sendRequestError } from './json-errors.js';

/**
 * Which browser origins may use the gateway: CORS_ORIGINS, plus the gateway's
 * own origin (the web console is served from it). One rule for HTTP (CORS) and
 * for the WebSocket handshake, whose `Origin` header browsers always send and
 * which CORS does not cover (cross-site WebSocket hijacking).
 */
export class BrowserOrigins {
  private readonly allowed: Set<string>;
  private readonly listed = cors({
    origin: true,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id', 'www-authenticate', 'x-gateway-cache'],
    credentials: true,
    maxAge: 600,
  });

  constructor(corsOrigins: readonly string[], publicUrl: string | undefined) {
    this.allowed = new Set(corsOrigins);
    if (publicUrl) this.allowed.add(new URL(publicUrl).origin);
  }

  /** Cross-origin callers named in CORS_ORIGINS (or PUBLIC_URL's origin). */
  isListed(origin: string): boolean {
    return this.allowed.has(origin);
  }

  /**
   * A request (a WebSocket handshake, a GraphQL request) is admitted without an
   * Origin (Node clients, curl: not a browser, so keys protect it), from the
   * gateway's own host (whose Host the allow-list has vouched for), or from a
   * listed origin.
   */
  admits(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    if (this.isListed(origin)) return true;
    return URL.canParse(origin) && new URL(origin).host === request.headers.host;
  }

  /** Why a browser origin is refused, naming the setting that admits it. */
  static refusal(origin: string | undefined): GatewayError {
    return new GatewayError('FORBIDDEN', `Requests from the browser origin "${origin}" are not allowed. Add it to CORS_ORIGINS (comma-separated origins, e.g. CORS_ORIGINS=${URL.canParse(origin ?? '') ? new URL(origin!).origin : 'http://localhost:5173'}).`);
  }

  /**
   * On /graphql: a browser page of another, unlisted origin is refused with
   * 403 FORBIDDEN naming CORS_ORIGINS, preflight included, rather than meeting
   * a CSRF or CORS failure that does not say what to change (true: refused and answered).
   */
  refuseUnlisted(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.admits(req)) return false;
    sendRequestError(req, res, BrowserOrigins.refusal(req.headers.origin));
    return true;
  }

  refuseUnlistedMiddleware(): RequestHandler {
    return (req, res, next) => {
      if (!this.refuseUnlisted(req, res)) next();
    };
  }

  /**
   * CORS for listed origins only: a preflight answers 204 with the origin
   * echoed; any other origin gets no CORS header at all (and its preflight
   * falls through to a plain refusal). CSRF prevention stays on: the headers
   * allowed here are exactly what a browser needs to satisfy it. True when
   * the request was answered (a listed origin's preflight).
   */
  applyCors(req: IncomingMessage, res: ServerResponse): boolean {
    // Vary on every response, so a shared cache never serves one origin's answer to another (first: nothing set Vary before).
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined || !this.isListed(origin)) return false;
    let passed = false;
    // Synchronous with static options: it either calls on or ends the preflight.
    this.listed(req, res, () => {
      passed = true;
    });
    return !passed;
  }

  corsMiddleware(): RequestHandler {
    return (req, res, next) => {
      if (!this.applyCors(req, res)) next();
    };
  }
}
