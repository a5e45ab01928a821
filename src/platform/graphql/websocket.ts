import type { IncomingMessage, Server } from 'node:http';
import { execute, getOperationAST, type DocumentNode, type ExecutionArgs, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayError, httpStatusOf } from '../errors.js';
import { socketGone } from '../http/client-gone.js';
import { AllowedHosts } from '../http/allowed-hosts.js';
import { BrowserOrigins } from '../http/browser-origins.js';
import { requestErrorBody } from '../http/json-errors.js';
import type { OperationMetrics } from './graphql-operations.js';
import { requestIdFrom, runInRequest, type RequestScope } from '../http/request-context.js';
import type { CallerIdentity, Gateway, OperationContext } from '../gateway.js';
import { operationPrompts } from './limits/operation-cost.js';
import { createOperationPreparer } from './limits/prepare-operation.js';
import { limitError, type QueryLimits } from './limits/query-limits.js';
import { SocketRefusal, SocketSessions, CLOSE } from './socket-sessions.js';
import { subscribePerEvent } from './subscribe-per-event.js';
import { toGraphQLError } from './error-formatter.js';
import type { TrustedDocuments } from './trusted-documents.js';
import { startOperationSpan, type OperationSpan } from '../tracing/request-spans.js';

/** A value that is not text is still a credential presented (and refused), never "no key". */
function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface WebSocketEndpoint {
  /** Completes every subscription and closes the sockets with 1001 (going away). */
  close(): Promise<void>;
}

export interface WebSocketOptions {
  limits: QueryLimits;
  operationMetrics: OperationMetrics;
  origins: BrowserOrigins;
  hosts: AllowedHosts;
  trusted: TrustedDocuments;
  /** OTEL_EXPORTER_OTLP_ENDPOINT is set: each operation gets a span (nothing at all otherwise). */
  tracing: boolean;
}

/** WS_MAX_CONNECTIONS reached: the server is full (503), not this client over its limit. */
const FULL = new GatewayError('RATE_LIMITED', 'The gateway has as many WebSocket connections as it accepts (WS_MAX_CONNECTIONS). Retry later.', { httpStatus: 503 });
const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

/** The close reason of a refused connection_init: a SocketRefusal's own, or a per-minute limit's. */
function socketRefusal(error: unknown): SocketRefusal {
  if (error instanceof SocketRefusal) return error;
  if (error instanceof GatewayError && error.code === 'RATE_LIMITED') return new SocketRefusal(CLOSE.tooMany, error.message, 'too_many');
  throw error;
}

/** What graphql-ws's ws adapter hands every hook. */
interface SocketExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/** An operation running on a socket, for its metrics and its log line. */
interface RunningOperation {
  name: string | null;
  type: string | null;
  started: number;
  errorCodes: string[];
  prompts?: string[];
  /** Its trace span (a no-op without tracing); operations refused before parsing have none. */
  span?: OperationSpan;
}

/** The span of the operation an execution context belongs to, for execute/subscribe to run within. */
const spansByContext = new WeakMap<object, OperationSpan>();
const withinSpanOf = <T>(args: ExecutionArgs, work: () => T): T => {
  const span = spansByContext.get(args.contextValue as object);
  return span ? span.within(work) : work();
};

/**
 * graphql-ws on the HTTP server's /graphql path, with the same context, limits
 * and error formatting as HTTP (graphql-ws runs none of Apollo's pipeline:
 * operations are parsed, validated and limit-checked in onSubscribe, before
 * any resolver). A socket gets WS_CONNECTION_INIT_TIMEOUT_MS to send
 * connection_init (else close 4408) and runs at most WS_MAX_SUBSCRIPTIONS
 * operations at once: one more is refused with an `error` message
 * (QUERY_TOO_COMPLEX) and the socket, with its other subscriptions, lives on.
 */
export function attachWebSocket<Caller extends CallerIdentity>(httpServer: Server, app: Gateway<Caller>, formatError: ErrorFormatter, options: WebSocketOptions): WebSocketEndpoint {
  const sessions = new SocketSessions<Caller>(
    app.config.webSocket,
    (authorization) => app.callers.authenticate(authorization),
    app.logger,
    (reason) => app.metrics.webSocketCloses.inc({ reason }),
  );
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: 1024 * 1024,
    // Browsers send Origin on every handshake and CORS does not apply to WebSockets:
    // without this check any page could open a socket and spend the owner's tokens.
    verifyClient: ({ req }, done) => {
      // A handshake refused before the upgrade, in the gateway's JSON error shape.
      const refuse = (error: GatewayError, headers: Record<string, string> = {}) => done(false, httpStatusOf(error), requestErrorBody(error), { ...JSON_TYPE, ...headers });
      if (!options.hosts.admits(req.headers.host)) return refuse(AllowedHosts.refusal(req.headers.host));
      if (!options.origins.admits(req)) return refuse(BrowserOrigins.refusal(req.headers.origin));
      if (!sessions.hasRoom()) return refuse(FULL, { 'Retry-After': '5' });
      done(true);
    },
  });
  wsServer.on('connection', (socket) => sessions.opened(socket));
  const baseUrl = (request: IncomingMessage) => options.hosts.baseUrlOf(request);
  const { maxSubscriptions, connectionInitTimeoutMs } = app.config.webSocket;
  const prepare = createOperationPreparer({ schema: app.schema, limits: options.limits, production: app.config.env === 'production' });

  // One scope (request id, logger) per socket: the upgrade request's X-Request-Id if sane, else a new one.
  const scopes = new WeakMap<object, RequestScope>();
  const scopeOf = (extra: { request: IncomingMessage }): RequestScope => {
    let scope = scopes.get(extra);
    if (!scope) {
      const reqId = requestIdFrom(extra.request.headers['x-request-id']);
      scope = { reqId, log: app.logger.child({ reqId }) };
      scopes.set(extra, scope);
    }
    return scope;
  };
  const running = new WeakMap<object, Map<string, RunningOperation>>();
  const operationsOf = (extra: object) => {
    let operations = running.get(extra);
    if (!operations) running.set(extra, (operations = new Map()));
    return operations;
  };
  const describe = (document: DocumentNode | undefined, operationName: string | null | undefined): Pick<RunningOperation, 'name' | 'type'> => {
    const operation = document ? getOperationAST(document, operationName) : null;
    return { name: operation?.name?.value ?? null, type: operation?.operation ?? null };
  };
  const finish = (extra: SocketExtra, id: string, operation: RunningOperation) => {
    operationsOf(extra).delete(id);
    sessions.operationEnded(extra.socket);
    operation.span?.end(operation.errorCodes);
    const seconds = (performance.now() - operation.started) / 1000;
    const outcome = operation.errorCodes.length > 0 ? 'error' : 'ok';
    options.operationMetrics.record({ name: operation.name, type: operation.type, outcome, seconds });
    const graphql = {
      operationName: operation.name,
      operationType: operation.type,
      outcome,
      durationMs: Math.round(seconds * 1000),
      ...(operation.errorCodes.length > 0 ? { errorCodes: operation.errorCodes } : {}),
      ...(operation.prompts ? { prompts: operation.prompts } : {}),
    };
    scopeOf(extra).log.info({ graphql }, 'graphql-ws operation completed');
  };

  const format = (errors: readonly unknown[]) =>
    errors.map((error) => {
      const formatted = formatError((error as { toJSON?: () => GraphQLFormattedError }).toJSON?.() ?? { message: String(error) }, error);
      if (!formatted.extensions || !('http' in formatted.extensions)) return formatted;
      const { http: _http, ...extensions } = formatted.extensions; // an HTTP status means nothing here
      return { ...formatted, extensions };
    });
  const codes = (errors: readonly GraphQLFormattedError[]) => errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN'));

  const cleanup = useServer(
    {
      schema: app.schema,
      connectionInitWaitTimeout: connectionInitTimeoutMs,
      // The key goes in connectionParams.authorization; a refused one closes the socket with 4401,
      // too many sockets for one key or connection attempts over its per-minute limit with 4429.
      onConnect: async (ctx) => {
        try {
          const caller = await sessions.admit(ctx.extra.socket, authorizationOf(ctx.connectionParams));
          await app.callers.admit(caller);
          (ctx.extra as { caller?: Caller }).caller = caller;
          return true;
        } catch (error) {
          sessions.close(ctx.extra.socket, socketRefusal(error));
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        sessions.operationStarted(ctx.extra.socket);
        // graphql-ws has already registered this one, so it is counted.
        const active = Object.keys(ctx.subscriptions).length;
        const started = performance.now();
        // The key as it stands now (revoked keys and the end of open mode close the socket).
        const current = await sessions.recheck(ctx.extra.socket).then(
          (caller) => caller,
          (error: unknown) => (error instanceof GatewayError ? toGraphQLError(error) : Promise.reject(error)),
        );
        if (!('tenant' in current)) {
          operationsOf(ctx.extra).set(id, { ...describe(undefined, null), started, errorCodes: [] });
          return [current];
        }
        (ctx.extra as unknown as { caller: Caller }).caller = current;
        if (active > maxSubscriptions) {
          const refused = limitError(
            'WS_MAX_SUBSCRIPTIONS',
            `This connection already runs ${active - 1} operations; the maximum is ${maxSubscriptions} (WS_MAX_SUBSCRIPTIONS). Complete one before starting another.`,
            maxSubscriptions,
            active,
          );
          operationsOf(ctx.extra).set(id, { ...describe(undefined, null), started, errorCodes: [] });
          return [refused];
        }
        // Each operation on a socket counts against the key's per-minute limit, as each HTTP request does.
        const refusal = await app.callers.admit((ctx.extra as unknown as { caller: Caller }).caller).then(
          () => null,
          (error: unknown) => (error instanceof GatewayError ? toGraphQLError(error) : Promise.reject(error)),
        );
        if (refusal) {
          operationsOf(ctx.extra).set(id, { ...describe(undefined, null), started, errorCodes: [] });
          return [refusal];
        }
        // The same trusted-documents rule as HTTP: a subscribe payload may name a document (documentId, sha256Hash).
        const persisted = options.trusted.resolve(payload);
        if (persisted.kind === 'refused') {
          operationsOf(ctx.extra).set(id, { ...describe(undefined, null), started, errorCodes: [] });
          return [toGraphQLError(new GatewayError(persisted.code, persisted.message))];
        }
        if (persisted.kind === 'trusted') payload = { ...payload, query: String(persisted.request.query), extensions: persisted.request.extensions as Record<string, unknown> | undefined };
        const prepared = prepare(payload);
        const described = describe(prepared.document, payload.operationName);
        const operation: RunningOperation = { ...described, started, errorCodes: [], ...(options.tracing ? { span: startOperationSpan(described.type, described.name) } : {}) };
        if (app.config.logPrompts && 'args' in prepared) {
          operation.prompts = operationPrompts({ schema: app.schema, document: prepared.document, variables: payload.variables, operationName: operation.name });
        }
        operationsOf(ctx.extra).set(id, operation);
        return 'errors' in prepared ? prepared.errors : prepared.args;
      },
      context: (ctx, id) => {
        const value = app.contextFor((ctx.extra as unknown as { caller: Caller }).caller, baseUrl(ctx.extra.request), socketGone(ctx.extra.socket));
        const span = operationsOf(ctx.extra).get(id)?.span;
        if (span) spansByContext.set(value, span);
        return value;
      },
      execute: (args) => withinSpanOf(args, () => execute(args)),
      // Every event gets fresh loaders: nothing read for one event is served to the next.
      subscribe: (args) =>
        withinSpanOf(args, () => {
          const { caller, baseUrl: base, signal } = args.contextValue as OperationContext<Caller>;
          return subscribePerEvent(args, () => app.contextFor(caller, base, signal));
        }),
      onNext: (ctx, id, _payload, _args, result) => {
        if (sessions.dropIfBacklogged(ctx.extra.socket)) return undefined;
        if (!result.errors) return undefined;
        const errors = runInRequest(scopeOf(ctx.extra), () => format(result.errors ?? []));
        operationsOf(ctx.extra).get(id)?.errorCodes.push(...codes(errors));
        return { ...result, errors };
      },
      onError: (ctx, id, _payload, errors) => {
        const formatted = runInRequest(scopeOf(ctx.extra), () => format(errors));
        const operation = operationsOf(ctx.extra).get(id);
        if (operation) finish(ctx.extra, id, { ...operation, errorCodes: [...operation.errorCodes, ...codes(formatted)] });
        return formatted;
      },
      onComplete: (ctx, id) => {
        const operation = operationsOf(ctx.extra).get(id);
        if (operation) finish(ctx.extra, id, operation);
      },
    },
    wsServer,
  );
  return {
    close: async () => {
      sessions.dispose();
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
