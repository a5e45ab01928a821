import type { Request, RequestHandler, Response } from 'express';
import { GatewayError, httpStatusOf } from '../../platform/errors.js';
import type { ApiKeyService } from './api-key.service.js';
import type { Caller } from './caller.js';
import type { UsageLimits } from './usage-limits.js';
import { sendRequestError } from '../../platform/http/json-errors.js';

/**
 * Who the request is, and whether they may make it now: before the body is
 * parsed (uploads included), so an unauthenticated or rate-limited client
 * costs almost nothing.
 */
export function authenticate(services: { keys: ApiKeyService; limits: UsageLimits }, refuse: Refusal = graphqlRefusal): RequestHandler {
  return async (req, res, next) => {
    try {
      const caller = await services.keys.authenticate(req.headers.authorization);
      await services.limits.admitRequest(caller);
      res.locals.caller = caller;
      next();
    } catch (error) {
      if (!(error instanceof GatewayError)) return next(error);
      refuse(req, res, error);
    }
  };
}

/** Answers a refused request (in the shape of the route's own errors). */
export type Refusal = (req: Request, res: Response, error: GatewayError) => void;

/** The GraphQL-shaped refusal, with Retry-After and WWW-Authenticate as they apply. */
const graphqlRefusal: Refusal = (req, res, error) => {
  const status = httpStatusOf(error);
  const retryAfter = error.extensions.retryAfter;
  if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  sendRequestError(req, res, status, error.code, error.message, error.extensions);
};

export function callerOf(res: Response): Caller {
  return res.locals.caller as Caller;
}
