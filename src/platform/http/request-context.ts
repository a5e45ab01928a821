import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/** What code running for one HTTP request (or one WebSocket connection) can find without being handed it. */
export interface RequestScope {
  reqId: string;
  /** The logger bound to this request: every line carries `reqId`. */
  log: Logger;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The current request's scope, if the caller runs inside one. */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}

/** A request's scope whose logger is made on first use: most requests log nothing but their completion line. */
class LazyRequestScope implements RequestScope {
  private bound: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    readonly reqId: string,
  ) {}

  get log(): Logger {
    return (this.bound ??= this.logger.child({ reqId: this.reqId }));
  }
}

export function requestScope(logger: Logger, reqId: string): RequestScope {
  return new LazyRequestScope(logger, reqId);
}

export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/**
 * The pino `mixin` createLogger installs: `{ reqId }` while inside a
 * request, so lines that services log with the app's logger carry it too.
 * Loggers already bound to a reqId (req.log, child loggers) get nothing, so
 * no line has the key twice.
 */
export function requestLogMixin(merge: object, _level: number, logger?: Logger): { reqId?: string } {
  const scope = storage.getStore();
  // A line that names its reqId itself (a request's completion line) needs no lookup of the logger's bindings.
  if (!scope || 'reqId' in merge || logger?.bindings().reqId !== undefined) return {};
  return { reqId: scope.reqId };
}

/** 1–128 characters a proxy or client would use for an id; nothing that could forge or break a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The caller's X-Request-Id when it is a sane token, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
