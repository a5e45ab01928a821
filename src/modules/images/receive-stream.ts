import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GatewayError } from '../../platform/errors.js';
import { diskFaultCode, storageFull } from '../../platform/blob-storage/disk-faults.js';

export interface ReceivedFile {
  path: string;
  sha256: string;
  byteSize: number;
  /** The first bytes, enough to sniff the real type. */
  head: Buffer;
}

const HEAD_BYTES = 4100;

async function* iterate(source: Readable): AsyncGenerator<Buffer> {
  // Left undestroyed when the copy stops early, so a failed write can drain the rest (see below).
  for await (const chunk of source.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
}

/**
 * Streams to a temporary file while hashing and counting, so no file is ever
 * held whole in memory. Counting here (not trusting the multipart parser's
 * limit, which truncates silently) is what enforces MAX_UPLOAD_BYTES.
 * A body that ends early is the client's fault (BAD_USER_INPUT); a file that
 * cannot be written is the server's (STORAGE_FULL).
 */
export async function receiveStream(source: Readable, tempPath: string, maxBytes: number): Promise<ReceivedFile> {
  const hash = createHash('sha256');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let byteSize = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      byteSize += chunk.length;
      // Past the limit, keep draining the source (so the multipart parser moves on) but keep nothing.
      if (byteSize > maxBytes) return callback();
      hash.update(chunk);
      if (headLength < HEAD_BYTES) {
        headChunks.push(chunk);
        headLength += chunk.length;
      }
      callback(null, chunk);
    },
  });
  // Opened before streaming, so the file exists (and is removed) whatever fails later.
  const file = await open(tempPath, 'wx');
  try {
    // Iterate instead of piping: the multipart parser unpipes a file stream at its size
    // limit, which would leave a piped pipeline waiting forever.
    await pipeline(iterate(source), meter, file.createWriteStream());
  } catch (error) {
    await rm(tempPath, { force: true });
    // A source that knows why it failed (a URL import past its limit or deadline) says so itself.
    if (error instanceof GatewayError) throw error;
    // The file could not be written (disk full, over quota, failing): the server's fault, not the
    // client's. Drain the rest, as past the size limit, so the client still gets the answer.
    if (diskFaultCode(error) !== undefined) {
      source.resume();
      throw storageFull(error);
    }
    throw new GatewayError('BAD_USER_INPUT', 'The upload ended before the whole file arrived (truncated or malformed multipart body). Send it again.', {
      cause: error,
      failsRequest: true,
    });
  }
  if (byteSize > maxBytes) {
    await rm(tempPath, { force: true });
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The file is larger than the ${maxBytes}-byte limit (MAX_UPLOAD_BYTES).`);
  }
  return { path: tempPath, sha256: hash.digest('hex'), byteSize, head: Buffer.concat(headChunks).subarray(0, HEAD_BYTES) };
}
