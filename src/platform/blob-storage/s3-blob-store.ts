import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GatewayError } from '../errors.js';
import {
  checkedBlobKey,
  checkedOriginalKey,
  checkOriginalStream,
  isBlobKey,
  isOriginalKey,
  lostBlob,
  thumbnailsOf,
  verifiedBlob,
  type BlobKey,
  type BlobStore,
  type ByteRange,
  type StorageMonitor,
} from './blob-store.js';
import type { LocalTemporaries } from './local-temporaries.js';
import { WholeOriginals } from './whole-originals.js';

/** Where the blobs go (config.s3). */
export interface S3Settings {
  bucket: string;
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Prepended to every object key; empty or ending with "/". */
  prefix: string;
  region: string;
}

/**
 * Originals up to this size go up in one streamed PutObject; larger ones as a
 * multipart upload in parts of this size, two at a time, so an upload holds at
 * most two parts in memory whatever the file's size.
 */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_AT_ONCE = 2;

/** Object metadata: when the blob's bytes were put, kept by the copy `removeUnless` sets aside (whose own LastModified is the copy's). */
const WRITTEN_AT = 'written-at';

const SILENT = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** An S3 client for the settings; credentials through the SDK's standard chain. */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    // A bucket in another AWS region than AWS_REGION is followed there instead of failing.
    followRegionRedirects: true,
    // Many S3-compatible servers do not understand the SDK's default streaming checksums (aws-chunked
    // bodies). Originals are checked against their sha256 on every read anyway.
    ...(settings.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    // Without a logger the SDK writes some failures to the console; they reach the operator as coded errors instead.
    logger: SILENT,
  });
}

/** What S3BlobStore is made of. */
export interface S3BlobStoreParts {
  client: S3Client;
  settings: S3Settings;
  /** DATA_DIR/tmp, where uploads land first. */
  temporaries: LocalTemporaries;
  /** Told of blobs lost or damaged. */
  monitor: StorageMonitor;
}

/**
 * Blobs as objects in an S3-compatible bucket, under their keys (behind
 * S3_PREFIX): originals at <sha256>, thumbnails at thumbnails/<sha256>-<size>.webp.
 * Every replica sees the same bytes. Uploads still land in DATA_DIR/tmp first
 * (checked there, never whole in memory) and are streamed up from the file. An
 * object appears whole or not at all (S3 has no partial PUT, and a multipart
 * upload appears at its completion), and an original is always put before its
 * row is written, so a row never points at nothing; putting the same bytes again
 * rewrites the object, which repairs a lost one.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly settings: S3Settings;
  private readonly temporaries: LocalTemporaries;
  private readonly monitor: StorageMonitor;
  private readonly whole = new WholeOriginals();

  constructor(parts: S3BlobStoreParts) {
    ({ client: this.client, settings: this.settings, temporaries: this.temporaries, monitor: this.monitor } = parts);
  }

  tempPath(): Promise<string> {
    return this.temporaries.path();
  }

  async put(sha256: string, tempFile: string): Promise<void> {
    const key = this.objectKey(checkedOriginalKey(sha256));
    const { size } = await stat(tempFile);
    const body = createReadStream(tempFile);
    const params = { Bucket: this.settings.bucket, Key: key, Body: body, ContentLength: size, Metadata: this.writtenNow() };
    try {
      await this.calling('store the upload', async () => {
        if (size <= PART_BYTES) await this.client.send(new PutObjectCommand(params));
        else await new Upload({ client: this.client, params, partSize: PART_BYTES, queueSize: PARTS_AT_ONCE, leavePartsOnError: false }).done();
      });
    } finally {
      body.destroy(); // closes the file, should the request have failed before reading it all
    }
  }

  async write(key: BlobKey, bytes: Buffer): Promise<void> {
    await this.calling('store a thumbnail', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key), Body: bytes, Metadata: this.writtenNow() })),
    );
  }

  /** Bytes, always: there is no local copy to hand a decoder. */
  decoderInput(key: BlobKey): Promise<Buffer> {
    return this.read(key);
  }

  async read(key: BlobKey): Promise<Buffer> {
    const { body, etag } = await this.get(key);
    const bytes = Buffer.from(await this.calling('read an image', () => body.transformToByteArray()));
    return verifiedBlob(this.monitor, key, bytes, this.whole, etag);
  }

  /**
   * An object already proven whole (by its ETag) is sent from one GET; otherwise it is read whole
   * through sha256 first, and what is sent is asked for with If-Match on the copy just proven.
   */
  async openRead(key: BlobKey, range?: ByteRange): Promise<Readable> {
    const first = await this.stream(key, range);
    if (!isOriginalKey(key) || this.whole.isWhole(key, first.etag)) return first.body;
    first.body.destroy();
    let proven: string | undefined;
    await checkOriginalStream(
      this.monitor,
      key,
      async () => {
        const whole = await this.stream(key, undefined);
        proven = whole.etag;
        return { body: whole.body, validator: whole.etag };
      },
      this.whole,
    );
    return (await this.stream(key, range, proven)).body;
  }

  private async stream(key: BlobKey, range: ByteRange | undefined, ifMatch?: string): Promise<{ body: Readable; etag: string | undefined }> {
    const { body, etag } = await this.get(key, range, ifMatch);
    // In Node the SDK's body is the HTTP response, a Readable.
    if (!(body instanceof Readable)) throw new Error('the S3 client returned a body that is not a Node stream');
    return { body, etag };
  }

  async size(key: BlobKey): Promise<number | null> {
    const head = await this.head(this.objectKey(key));
    return head ? (head.ContentLength ?? 0) : null;
  }

  checkWritable(): Promise<void> {
    return this.temporaries.checkWritable();
  }

  async *blobsWrittenBefore(before: Date): AsyncIterable<BlobKey> {
    for await (const object of this.list('')) {
      const key = object.key.slice(this.settings.prefix.length);
      if (isBlobKey(key) && object.lastModified < before) yield key;
    }
  }

  async derivedOf(sha256: string): Promise<BlobKey[]> {
    const keys: string[] = [];
    for await (const object of this.list(`thumbnails/${sha256}-`)) keys.push(object.key.slice(this.settings.prefix.length));
    return thumbnailsOf(sha256, keys);
  }

  /** Local temporary files, and the copies `removeUnless` set aside in the bucket and a crash left there. */
  async removeTemporariesBefore(before: Date): Promise<number> {
    let removed = await this.temporaries.removeBefore(before);
    for await (const object of this.list(ASIDE)) {
      if (object.lastModified >= before) continue;
      await this.delete(object.key);
      removed++;
    }
    return removed;
  }

  /**
   * S3 has no rename: the object is copied aside (metadata and all) and
   * deleted, `keep` is asked with its written-at, and it is copied back if kept
   * (unless a fresh copy was put meanwhile). A put of the same bytes landing
   * between the copy and the delete is lost with it, and comes back with the
   * next upload of those bytes; the window is one request long.
   */
  async removeUnless(key: BlobKey, keep: (writtenAt: Date) => Promise<boolean>): Promise<boolean> {
    const target = this.objectKey(key);
    const aside = `${this.settings.prefix}${ASIDE}${randomUUID()}`;
    if (!(await this.copy(target, aside))) return false;
    let remove = false;
    try {
      await this.delete(target);
      const head = await this.head(aside);
      remove = head !== undefined && !(await keep(writtenAt(head)));
      return remove;
    } finally {
      if (!remove && !(await this.head(target))) await this.copy(aside, target);
      await this.delete(aside);
    }
  }

  /** Ready when the bucket answers (HeadBucket); otherwise why not, naming the bucket and endpoint. */
  async readiness(): Promise<{ ok: boolean; reason?: string }> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `bucket "${this.settings.bucket}" at ${this.where()} did not answer (${describe(error)})` };
    }
  }

  close(): void {
    this.client.destroy();
  }

  private async get(key: BlobKey, range?: ByteRange, ifMatch?: string) {
    try {
      const { Body, ETag } = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined, IfMatch: ifMatch }),
      );
      if (!Body) throw new Error('S3 returned no body');
      return { body: Body, etag: ETag };
    } catch (error) {
      if (isNotFound(error)) throw lostBlob(this.monitor, key, 'missing', error);
      throw this.unavailable('read an image', error);
    }
  }

  private async head(objectKey: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: objectKey }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.unavailable('look up an image', error);
    }
  }

  /** Copies an object within the bucket, metadata included; false when the source does not exist. */
  private async copy(from: string, to: string): Promise<boolean> {
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.settings.bucket, Key: to, CopySource: `${this.settings.bucket}/${from}`, MetadataDirective: 'COPY' }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.unavailable('move a blob', error);
    }
  }

  private delete(objectKey: string): Promise<unknown> {
    return this.calling('remove a blob', () => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: objectKey })));
  }

  /** The objects under prefix + `under`, page by page. */
  private async *list(under: string): AsyncIterable<{ key: string; lastModified: Date }> {
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.settings.bucket, Prefix: `${this.settings.prefix}${under}` });
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key && object.LastModified) yield { key: object.Key, lastModified: object.LastModified };
        }
      }
    } catch (error) {
      throw this.unavailable('list blobs', error);
    }
  }

  private async calling<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.unavailable(what, error);
    }
  }

  private unavailable(what: string, cause: unknown): GatewayError {
    return new GatewayError(
      'INTERNAL_SERVER_ERROR',
      `The gateway could not ${what}: its blob storage (S3 bucket "${this.settings.bucket}" at ${this.where()}) failed (${describe(cause)}). Try again shortly; the operator should check the bucket.`,
      { cause, retryable: true },
    );
  }

  private objectKey(key: BlobKey): string {
    return `${this.settings.prefix}${checkedBlobKey(key)}`;
  }

  private writtenNow(): Record<string, string> {
    return { [WRITTEN_AT]: new Date().toISOString() };
  }

  private where(): string {
    return this.settings.endpoint ?? `AWS ${this.settings.region}`;
  }
}

/** Where `removeUnless` sets objects aside, under the prefix: never a blob key, so never listed as one. */
const ASIDE = 'tmp/';

/** A blob's write time: its written-at metadata, or (an object put by other means) its LastModified. */
function writtenAt(head: HeadObjectCommandOutput): Date {
  const stamped = head.Metadata?.[WRITTEN_AT];
  const date = stamped ? new Date(stamped) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : (head.LastModified ?? new Date(0));
}

/** No such object (a missing bucket is an outage, not a missing blob). */
function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return name !== 'NoSuchBucket' && (name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404);
}

/** An error's name or code, never its whole text (which can carry request details). */
function describe(error: unknown): string {
  const { name, code, $metadata } = error as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode ? ` ${$metadata.httpStatusCode}` : '';
  return `${typeof code === 'string' ? code : typeof name === 'string' ? name : 'error'}${status}`;
}
