import { pipeline } from 'node:stream/promises';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import rangeParser from 'range-parser';
import { GatewayError, httpStatusOf } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Delivery, ImageDelivery } from './image-delivery.js';
import type { ByteRange } from '../../platform/blob-storage/blob-store.js';
import { internalError, LOGGED_FAILURE, sendRequestError } from '../../platform/http/json-errors.js';

/**
 * GET (and HEAD) /images/:id?exp&sig and /images/:id/thumbnail?size&exp&sig:
 * no API key, the signature is the capability, so `<img src>` works.
 * ImageDelivery decides what to send; this writes it as HTTP: validators
 * (ETag, 304), one byte range (206, 416), caching until the URL expires, and
 * headers that keep the bytes from ever running as a page. Query strings,
 * and so signatures, never reach the logs (request-logging.ts).
 */

const SAFE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  // Pages on other origins may show them: holding the URL is the permission.
  'Cross-Origin-Resource-Policy': 'cross-origin',
};


export interface ImageRoutesOptions {
  delivery: ImageDelivery;
  logger: Logger;
}

export function imageRoutes({ delivery, logger }: ImageRoutesOptions): Router {
  const serve =
    (find: (req: Request, id: string, signed: { exp: unknown; sig: unknown }) => Promise<Delivery>): RequestHandler =>
    async (req, res) => {
      res.set(SAFE_HEADERS);
      const id = req.params.id;
      try {
        await send(req, res, await find(req, typeof id === 'string' ? id : '', { exp: req.query.exp, sig: req.query.sig }), delivery);
      } catch (error) {
        fail(req, res, error, logger);
      }
    };
  const router = Router();
  router.get('/images/:id', serve((_req, id, signed) => delivery.original(id, signed)));
  router.get('/images/:id/thumbnail', serve((req, id, signed) => delivery.thumbnail(id, req.query.size, signed)));
  return router;
}

async function send(req: Request, res: Response, blob: Delivery, delivery: ImageDelivery): Promise<void> {
  res.set({ 'Accept-Ranges': 'bytes', ETag: blob.etag, 'Cache-Control': `private, max-age=${blob.maxAgeSeconds}` });
  if (notModified(req, blob.etag)) {
    res.status(304).end();
    return;
  }
  const range = requestedRange(req, blob);
  if (range === 'unsatisfiable') {
    res.set({ 'Content-Range': `bytes */${blob.byteSize}`, 'Cache-Control': 'no-store' });
    sendRequestError(req, res, new GatewayError('BAD_REQUEST', `The range lies outside the ${blob.byteSize} bytes of this image; ask for bytes within 0-${blob.byteSize - 1}.`, { httpStatus: 416 }));
    return;
  }
  const body = req.method === 'HEAD' ? undefined : await delivery.open(blob, range);
  res.status(range ? 206 : 200);
  res.setHeader('Content-Type', blob.mimeType);
  if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.byteSize}`);
  res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : blob.byteSize));
  if (body) await pipeline(body, res);
  else res.end();
}

/**
 * RFC 9110 If-None-Match: `*`, or a list holding our ETag (weak comparison).
 * Not express's req.fresh: it ignores the validator whenever the request says
 * Cache-Control: no-cache, which fetch() adds to every conditional request.
 */
function notModified(req: Request, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** One byte range; undefined means the whole blob (no Range, a stale If-Range, or a range set this route does not split). */
function requestedRange(req: Request, blob: Delivery): ByteRange | 'unsatisfiable' | undefined {
  const header = req.headers.range;
  if (!header) return undefined;
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && ifRange !== blob.etag) return undefined;
  const ranges = rangeParser(blob.byteSize, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  // Malformed, not bytes, or several ranges: the whole blob, as RFC 9110 allows.
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}

function fail(req: Request, res: Response, error: unknown, logger: Logger): void {
  if (res.headersSent) {
    // The client went away, or the blob failed mid-stream: nothing more can be said.
    if ((error as { code?: unknown }).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn({ err: error }, 'image response cut short');
    res.destroy();
    return;
  }
  res.removeHeader('ETag');
  res.removeHeader('Accept-Ranges');
  res.setHeader('Cache-Control', 'no-store');
  // BLOB_MISSING is a server fault (500): see blobMissing in blob-store.ts.
  const coded = error instanceof GatewayError ? error : internalError(LOGGED_FAILURE);
  if (httpStatusOf(coded) >= 500) logger.error({ err: error }, 'could not deliver an image');
  sendRequestError(req, res, coded);
}
