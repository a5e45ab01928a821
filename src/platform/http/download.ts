import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { internalError, LOGGED_FAILURE, sendRequestError } from './json-errors.js';

/**
 * A file download streamed as the client takes it (backpressure: the body's
 * next piece is not asked for until the socket drained the last), so memory
 * stays flat however long the body. Its first piece is read before anything
 * is sent: a failure there (a bad filter, a timed-out query) still answers
 * with its coded JSON error and status. A failure later can only cut the body
 * short: it is logged and the connection closed, so the client sees an
 * incomplete transfer rather than a file that looks whole.
 */

export interface Download {
  /** The name offered to save it as (Content-Disposition); ASCII letters, digits, '-', '_' and '.'. */
  filename: string;
  contentType: string;
  body: AsyncIterable<string>;
}

export async function sendDownload(req: Request, res: Response, logger: Logger, download: Download): Promise<void> {
  const pieces = download.body[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await pieces.next();
  } catch (error) {
    if (error instanceof GatewayError) {
      sendRequestError(req, res, error);
    } else {
      logger.error({ err: error, path: req.path }, 'download failed before its first byte');
      sendRequestError(req, res, internalError(LOGGED_FAILURE));
    }
    return;
  }
  res.set({
    'Content-Type': download.contentType,
    'Content-Disposition': `attachment; filename="${download.filename}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  async function* rest(): AsyncGenerator<string> {
    try {
      if (first.done) return;
      yield first.value;
      for (let next = await pieces.next(); !next.done; next = await pieces.next()) yield next.value;
    } finally {
      await pieces.return?.(); // the client left early: the source stops reading too
    }
  }
  try {
    await pipeline(Readable.from(rest()), res);
  } catch (error) {
    // The client went away (nothing to tell), or the source failed mid-way: the body ends without its last part.
    if ((error as { code?: unknown }).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn({ err: error, path: req.path }, 'download cut short');
  }
}

/** Today's UTC date, for filenames ("questions-2026-11-30.csv"). */
export function datedFilename(name: string, extension: string): string {
  return `${name}-${new Date().toISOString().slice(0, 10)}.${extension}`;
}
