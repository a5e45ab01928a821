import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import { createErrorFormatter } from './graphql/error-formatter.js';
import type { CallerIdentity, Gateway, OperationContext } from './gateway.js';
import { attachWebSocket } from './graphql/websocket.js';
import { QueryLimits, queryLimitsFromConfig } from './graphql/limits/query-limits.js';
import { AllowedHosts } from './http/allowed-hosts.js';
import { responseGone } from './http/client-gone.js';
import { BrowserOrigins } from './http/browser-origins.js';
import { consoleRoutes } from './http/console-routes.js';
import { explorerRoute } from './http/explorer-route.js';
import { OperationMetrics, operationsPlugin, withHttpResponse } from './graphql/graphql-operations.js';
import { healthRoutes } from './http/health.js';
import { jsonErrorHandler, jsonNotFound } from './http/json-errors.js';
import { metricsRoute } from './http/metrics-route.js';
import { subscriptionsOverWebSocketOnly } from './graphql/subscriptions-over-websocket.js';
import { currentRequest } from './http/request-context.js';
import { requestLogging } from './http/request-logging.js';
import { graphqlRoute } from './http/graphql-route.js';
import { operationSpanPlugin, requestSpans } from './tracing/request-spans.js';
import { WEB_DIST } from './http/web-pages.js';
import { RedisQueryCache } from './graphql/redis-query-cache.js';
import { consoleManifest, TrustedDocuments } from './graphql/trusted-documents.js';

/** How long Redis keeps an automatic persisted query no replica asked for (each use does not extend it). */
const APQ_TTL_SECONDS = 24 * 3600;

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * One HTTP server: GraphQL at /graphql for HTTP (Apollo on plain node:http,
 * graphql-route.ts) and WebSocket (graphql-ws); Express for the side routes
 * (console, explorer, images, exports, health, metrics) beside it.
 */
export async function startServer<Caller extends CallerIdentity>(app: Gateway<Caller>, port = app.config.port): Promise<RunningServer> {
  const expressApp = express();
  const httpServer = http.createServer();
  const production = app.config.env === 'production';
  const limits = new QueryLimits(queryLimitsFromConfig(app.config));
  const operationMetrics = new OperationMetrics(app.metrics);
  let stopping = false;
  const tracing = app.config.tracing !== null;
  const formatError = createErrorFormatter({
    includeStacktrace: app.config.env === 'development',
    logUnexpected: (error) => (currentRequest()?.log ?? app.logger).error({ err: error }, 'unexpected error in a GraphQL operation'),
  });
  const hosts = new AllowedHosts(app.config.browser.allowedHosts, app.config.browser.publicUrl);
  const origins = new BrowserOrigins(app.config.browser.corsOrigins, app.config.browser.publicUrl);
  // The console's own operations (its build's manifest) are always trusted, besides PERSISTED_DOCUMENTS.
  const trusted = new TrustedDocuments([consoleManifest(WEB_DIST), app.config.persistedDocuments.manifest], app.config.persistedDocuments.only);
  app.logger.info({ trustedDocuments: trusted.size, onlyTrusted: trusted.only }, 'trusted documents loaded');
  // With REDIS_URL, APQ registrations are shared by every replica, through the app's own connections.
  const apqRedis = app.redis;
  const webSocket = attachWebSocket(httpServer, app, formatError, { limits, operationMetrics, origins, hosts, trusted, tracing });
  const apollo = new ApolloServer<OperationContext<Caller>>({
    schema: app.schema,
    csrfPrevention: true,
    // One operation per request: a batch would multiply every per-operation limit (answers 400).
    allowBatchedHttpRequests: false,
    // Automatic persisted queries; trusted documents are resolved before Apollo (trusted-documents-http.ts).
    persistedQueries: apqRedis ? { cache: new RedisQueryCache(apqRedis, app.logger), ttl: APQ_TTL_SECONDS } : {},
    introspection: limits.options.introspection,
    // No "Did you mean …?" in production: suggestions map the schema for a caller who may not see it.
    hideSchemaDetailsFromClientErrors: production,
    validationRules: limits.validationRules(),
    includeStacktraceInErrorResponses: app.config.env === 'development',
    formatError,
    plugins: [
      // Apollo's landing pages load from a CDN; browsers get GraphiQL from our own build (explorer-route.ts).
      ApolloServerPluginLandingPageDisabled(),
      // No field states a cache hint, and the default cache-control plugin would wrap every resolver to look for one.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Subscriptions end (close code 1001) before the HTTP server drains.
      { serverWillStart: async () => ({ drainServer: () => webSocket.close() }) },
      // Cost, prompts and variables size, once the operation and its variables are known.
      subscriptionsOverWebSocketOnly(),
      limits.apolloPlugin(),
      operationsPlugin({ metrics: operationMetrics, logPrompts: app.config.logPrompts }),
      // OTEL_EXPORTER_OTLP_ENDPOINT: the request's span is named after its operation.
      ...(tracing ? [operationSpanPlugin<OperationContext<Caller>>()] : []),
    ],
  });
  await apollo.start();

  const graphql = graphqlRoute({
    apollo,
    logger: app.logger,
    tracing,
    hosts,
    origins,
    trusted,
    limits,
    admit: app.http.admit,
    readUploads: app.http.readUploads,
    contextFor: (caller, req, res) => withHttpResponse(app.contextFor(caller, hosts.baseUrlOf(req), responseGone(res)), res),
  });
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => (graphql.serves(req) ? graphql.serve(req, res) : expressApp(req, res)));

  // The side routes: the same log line, span, Host and CORS checks as the GraphQL route.
  expressApp.disable('x-powered-by');
  expressApp.use(requestLogging(app.logger));
  // OTEL_EXPORTER_OTLP_ENDPOINT: a span per request (platform/tracing); nothing at all when tracing is off.
  if (tracing) expressApp.use(requestSpans());
  // Before anything runs, on every route: a Host the gateway does not answer for is a DNS rebinding attempt.
  expressApp.use(hosts.middleware());
  // Before anything that could refuse: a preflight carries no key and no body.
  expressApp.use(origins.corsMiddleware());
  // For browsers, GraphiQL at GET /graphql: a static page that needs no key (a browser page of an unlisted origin is told to use CORS_ORIGINS).
  expressApp.get('/graphql', origins.refuseUnlistedMiddleware(), explorerRoute({ enabled: app.config.explorer, publicUrl: app.config.browser.publicUrl }));
  expressApp.use(healthRoutes({ ready: () => app.ready(), stopping: () => stopping, logger: app.logger }));
  expressApp.get('/metrics', metricsRoute({ metrics: app.metrics, jobCounts: () => app.jobCounts(), logger: app.logger }));
  // The modules' routes (signed image URLs are their own permission): no API key, so <img src> works.
  for (const route of app.http.routes) expressApp.use(route);
  // The web console: static pages that need no key.
  expressApp.use(consoleRoutes({ publicUrl: app.config.browser.publicUrl, explorer: app.config.explorer }));
  expressApp.use(jsonNotFound);
  expressApp.use(jsonErrorHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, resolve);
  });
  const actualPort = (httpServer.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `http://localhost:${actualPort}/graphql`,
    close: () => {
      stopping = true;
      return apollo.stop();
    },
  };
}
