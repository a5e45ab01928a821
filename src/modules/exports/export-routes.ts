import { Router, type Request, type RequestHandler } from 'express';
import { GatewayError, badInput } from '../../platform/errors.js';
import { sendDownload } from '../../platform/http/download.js';
import { sendRequestError } from '../../platform/http/json-errors.js';
import type { Logger } from '../../platform/logger.js';
import { authenticate, callerOf } from '../access/authenticate.js';
import type { ApiKeyService } from '../access/api-key.service.js';
import type { UsageLimits } from '../access/usage-limits.js';
import { ExportLinks } from './export-links.js';
import { parseExportFile, type ExportRequest } from './export-query.js';
import type { ExportService } from './export.service.js';

/**
 * GET /export/{questions|captions|moderations|usage}.{csv|jsonl}?<filter>:
 * with `Authorization: Bearer <key>` as /graphql (rate-limited alike), or as
 * a signed link from exportUrl (no header; the link's key must still be
 * valid, and is rate-limited).
 * Either way the rows are the one tenant's.
 */

export interface ExportRouteServices {
  exports: ExportService;
  exportLinks: ExportLinks;
  keys: ApiKeyService;
  limits: UsageLimits;
}

/** Each query parameter once, as text (`?a=1&a=2` is refused, not guessed at). */
function queryOf(req: Request): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.query)) {
    if (typeof value !== 'string') throw badInput(`Export parameter "${name}": give it once, as plain text.`);
    query[name] = value;
  }
  return query;
}

export function exportRoutes(services: ExportRouteServices, logger: Logger): Router {
  const router = Router();
  const keyed = authenticate(services);

  /** Who asks and for what: a signed link's owner, or the key's caller (set by `authenticate`). */
  const admit: RequestHandler = async (req, res, next) => {
    try {
      const target = parseExportFile(String(req.params.file));
      if (!target) return next('route'); // unknown kind or format: the JSON 404
      const query = queryOf(req);
      if (!ExportLinks.isLink(query)) {
        res.locals.export = { ...target, params: query } satisfies ExportRequest;
        return keyed(req, res, next);
      }
      const { owner, request } = services.exportLinks.verify(target.kind, target.format, query);
      const caller = await services.keys.callerForLink(owner.tenant, owner.apiKeyId);
      await services.limits.admitRequest(caller);
      res.locals.caller = caller;
      res.locals.export = request;
      next();
    } catch (error) {
      if (!(error instanceof GatewayError)) return next(error);
      const retryAfter = error.extensions.retryAfter;
      if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
      sendRequestError(req, res, error);
    }
  };

  router.get('/export/:file', admit, (req, res) => sendDownload(req, res, logger, services.exports.open(callerOf(res), res.locals.export as ExportRequest)));
  return router;
}
