import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Config } from './config.js';
import type { ResolverClass } from './graphql/schema.js';
import type { LazySignal } from './http/client-gone.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RedisConnections } from './redis/connection.js';

/**
 * What the HTTP and WebSocket wiring (server.ts, graphql/websocket.ts) needs
 * of the application, said without naming a module: the composition root
 * (src/app.ts) fills it in from the modules, so platform code never imports one.
 */

/** As much of a caller as the platform reads: its tenant, and its key (null when the gateway runs open). */
export interface CallerIdentity {
  tenant: string;
  apiKeyId: string | null;
}

/** What every operation's context carries, whatever else the modules put in it. */
export interface OperationContext<TCaller extends CallerIdentity = CallerIdentity> {
  caller: TCaller;
  /** Where minted URLs point: PUBLIC_URL, or the request's own (allow-listed) origin, or '' (relative) when ALLOWED_HOSTS=*; no trailing slash. */
  baseUrl: string;
  /** Fires when the client is gone (its HTTP response closed early, its socket closed): model work for it may stop. */
  signal?: AbortSignal;
}

/** Who may call: the same checks for an HTTP request and a WebSocket (connection_init and each operation). */
export interface CallerGate<TCaller extends CallerIdentity> {
  /** The caller an Authorization value names; a coded error (UNAUTHENTICATED, FORBIDDEN) when none. */
  authenticate(authorization: string | undefined): Promise<TCaller>;
  /** Counts one operation against the caller's per-minute limit; RATE_LIMITED when over it. */
  admit(caller: TCaller): Promise<void>;
}

export interface Gateway<TCaller extends CallerIdentity = CallerIdentity> {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  metrics: Metrics;
  /** REDIS_URL: the app's Redis connections (the server shares APQ registrations through them); null without. Closed with the app. */
  redis: RedisConnections | null;
  /** Storage writable (no full-disk episode), database reachable and every committed migration applied. */
  ready(): Promise<{ ok: boolean; reason?: string }>;
  /** Jobs per status, every status present (0 when no job has it), for the metrics gauge. */
  jobCounts(): Promise<Record<string, number>>;
  callers: CallerGate<TCaller>;
  /** A fresh context (fresh loaders) for one operation, or one subscription event. */
  contextFor(caller: TCaller, baseUrl: string, clientGone?: LazySignal): OperationContext<TCaller>;
  http: {
    /** Express side routes beside /graphql (the modules' routes: signed image URLs, exports), each doing its own authentication. */
    routes: RequestHandler[];
    /** First on /graphql, before the body is read: the authenticated and admitted caller, or undefined when refused (and answered). */
    admit(req: IncomingMessage, res: ServerResponse): Promise<TCaller | undefined>;
    /** On /graphql after authentication: a multipart (upload) body's operations, or undefined when refused (and answered). */
    readUploads(req: IncomingMessage, res: ServerResponse): Promise<unknown>;
  };
}

/**
 * One capability's registration (src/modules/<name>/index.ts), listed once in
 * src/modules/index.ts: what it adds to the schema and to the HTTP server.
 */
export interface GatewayModule<TServices> {
  name: string;
  /** type-graphql resolver classes; their types come with them. */
  resolvers: ResolverClass[];
  /** Express side routes (own paths, beside /graphql), authenticating themselves where they need a key. */
  routes?: (services: TServices, logger: Logger) => RequestHandler;
}
