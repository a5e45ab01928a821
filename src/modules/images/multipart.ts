import type { IncomingMessage, ServerResponse } from 'node:http';
import { processRequest } from 'graphql-upload-minimal';
import { GatewayError } from '../../platform/errors.js';
import { sendRequestError } from '../../platform/http/json-errors.js';

export interface MultipartLimits {
  uploadBytes: number;
  uploadFiles: number;
  /** Bytes allowed for the `operations` and `map` fields. */
  fieldBytes: number;
}

/** Room for each part's boundary and headers. */
const PART_OVERHEAD = 1024;

/**
 * The GraphQL multipart request spec, with Apollo's CSRF rule applied before
 * the body is parsed: a browser can send multipart/form-data cross-site
 * without a preflight, so a multipart request must carry a header no simple
 * request can (Apollo-Require-Preflight or X-Apollo-Operation-Name). Gives the
 * operations with their uploads in place, or undefined when the request was
 * refused (and answered).
 */
export function multipartUploads(limits: MultipartLimits): (req: IncomingMessage, res: ServerResponse) => Promise<unknown> {
  // The body can never legitimately exceed every file at its limit plus the two fields.
  const maxBody = limits.uploadFiles * (limits.uploadBytes + PART_OVERHEAD) + 2 * limits.fieldBytes;
  return async (req, res) => {
    if (!req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name']) {
      return sendRequestError(
        req,
        res,
        new GatewayError('BAD_REQUEST', 'This multipart request was refused as a possible CSRF attempt. Send the header "Apollo-Require-Preflight: true" with uploads.'),
      );
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBody) {
      return sendRequestError(req, res, new GatewayError('PAYLOAD_TOO_LARGE', `The upload is larger than this gateway accepts (${limits.uploadFiles} files of at most ${limits.uploadBytes} bytes).`));
    }
    try {
      return await processRequest(req, res, {
        // One byte over the limit lets the service see (and report) an oversize file;
        // the parser itself would only truncate it silently.
        maxFileSize: limits.uploadBytes + 1,
        maxFiles: limits.uploadFiles,
        maxFieldSize: limits.fieldBytes,
      });
    } catch (caught) {
      const error = caught as { status?: number; message?: string };
      if (error.status === 413) return sendRequestError(req, res, new GatewayError('PAYLOAD_TOO_LARGE', tooLargeMessage(error.message, limits)));
      sendRequestError(req, res, new GatewayError('BAD_REQUEST', `Malformed multipart upload: ${error.message ?? 'unreadable body'}`));
    }
  };
}

/** The parser says "N max file uploads exceeded." for the file count; name the limit and what to do instead. */
function tooLargeMessage(parserMessage: string | undefined, limits: MultipartLimits): string {
  if (parserMessage?.includes('max file uploads')) {
    return `Too many files: at most ${limits.uploadFiles} per request (MAX_UPLOAD_FILES); send the rest in another request.`;
  }
  return parserMessage ?? 'The upload is too large.';
}
