import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { GatewayError, httpStatusOf } from '../../platform/errors.js';
import type { ApiKeyService } from './api-key.service.js';
import type { Caller } from './caller.js';
import type { UsageLimits } from './usage-limits.js';
import { sendRequestError } from '../../platform/http/json-errors.js';

type Access = { keys: ApiKeyService; limits: UsageLimits };

/** Answers a refused request (in the shape of the route's own errors). */
export type Refusal<Req extends IncomingMessage = Request, Res extends ServerResponse = Response> = (req: Req, res: Res, error: GatewayError) => void;

/** The GraphQL-shaped refusal, with Retry-After and WWW-Authenticate as they apply. */
const graphqlRefusal: Refusal<IncomingMessage, ServerResponse> = (req, res, error) => {
  const status = httpStatusOf(error);
  const retryAfter = error.extensions.retryAfter;
  if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  sendRequestError(req, res, error);
};

/**
 * Who the request is, and whether they may make it now: before the body is
 * parsed (uploads included), so an unauthenticated or rate-limited client
 * costs almost nothing. Undefined when refused: `refuse` has answered
 * (GraphQL-shaped by default: 401 with WWW-Authenticate, 429 with
 * Retry-After, …); unexpected failures throw.
 */
export async function admitCaller<Req extends IncomingMessage, Res extends ServerResponse>(
  services: Access,
  req: Req,
  res: Res,
  refuse: Refusal<Req, Res> = graphqlRefusal,
): Promise<Caller | undefined> {
  try {
    const caller = await services.keys.authenticate(req.headers.authorization);
    await services.limits.admitRequest(caller);
    return caller;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    refuse(req, res, error);
    return undefined;
  }
}

/** `admitCaller` for the Express routes that need a key (exports, the OpenAI door): the caller is kept for `callerOf`. */
export function authenticate(services: Access, refuse: Refusal = graphqlRefusal): RequestHandler {
  // Express 5 passes a rejection (an unexpected failure) on to the error handler.
  return async (req, res, next) => {
    const caller = await admitCaller(services, req, res, refuse);
    if (!caller) return;
    res.locals.caller = caller;
    next();
  };
}

export function callerOf(res: Response): Caller {
  return res.locals.caller as Caller;
}
