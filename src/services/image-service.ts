import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GatewayError, notFound } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ImageRecord, ImageRepository } from '../storage/image-repository.js';
import type { Page, PageArgs } from '../storage/pagination.js';
import { byKeys } from './collections.js';
import { detectMimeType, inspectImage, type ImageFacts } from './image-inspection.js';
import { receiveStream, type ReceivedFile } from './receive-stream.js';

export interface UploadLimits {
  uploadBytes: number;
  uploadFiles: number;
  imagePixels: number;
}

/** Opens one uploaded file's byte stream; the transport (multipart) stays outside the service. */
export type OpenUpload = () => Promise<Readable>;

/** Opens the body of a remote image (SSRF-checked, capped, timed out), or throws a coded error. */
export type OpenRemote = (url: string) => Promise<Readable>;

interface CheckedFile extends ReceivedFile, ImageFacts {}

export class ImageService {
  constructor(
    private readonly images: ImageRepository,
    private readonly blobs: BlobStore,
    private readonly limits: UploadLimits,
    private readonly openRemote: OpenRemote,
  ) {}

  /** Another tenant's image is exactly as unknown as one that does not exist. */
  async get(tenant: string, id: string): Promise<ImageRecord> {
    const image = await this.images.findById(tenant, id);
    if (!image) throw notFound('image', id);
    return image;
  }

  /** Batch lookup for loaders: results in the order of `ids`, null where unknown. */
  async findMany(tenant: string, ids: readonly string[]): Promise<Array<ImageRecord | null>> {
    return byKeys(ids, await this.images.findByIds(tenant, ids), (row) => row.id);
  }

  page(tenant: string, args: PageArgs): Promise<Page<ImageRecord>> {
    return this.images.page(tenant, args);
  }

  /** Fetches an image by URL for the caller, with every check an upload gets. */
  async importFromUrl(tenant: string, url: string): Promise<ImageRecord> {
    const [image] = await this.upload(tenant, [() => this.openRemote(url)]);
    return image!;
  }

  /**
   * Stores every file or none: each is received and checked into a temporary
   * file first, and only when all pass are blobs moved into place and rows written.
   */
  async upload(tenant: string, files: readonly OpenUpload[]): Promise<ImageRecord[]> {
    if (files.length === 0) throw new GatewayError('BAD_USER_INPUT', 'No files were sent.');
    if (files.length > this.limits.uploadFiles) {
      throw new GatewayError('PAYLOAD_TOO_LARGE', `At most ${this.limits.uploadFiles} files per request (MAX_UPLOAD_FILES).`);
    }
    const checked: CheckedFile[] = [];
    try {
      // In order: the multipart parser hands out file N+1 only after file N was read.
      for (const [index, open] of files.entries()) checked.push(await this.receive(open, index, files.length));
      const stored: ImageRecord[] = [];
      for (const file of checked) stored.push(await this.store(tenant, file));
      return stored;
    } finally {
      await Promise.all(checked.map((file) => rm(file.path, { force: true })));
    }
  }

  private async receive(open: OpenUpload, index: number, count: number): Promise<CheckedFile> {
    let received: ReceivedFile | undefined;
    try {
      received = await receiveStream(await open(), await this.blobs.tempPath(), this.limits.uploadBytes);
      if (received.byteSize === 0) throw new GatewayError('BAD_USER_INPUT', 'The file is empty.');
      const mimeType = await detectMimeType(received.head);
      return { ...received, ...(await inspectImage(received.path, mimeType, this.limits.imagePixels)) };
    } catch (error) {
      if (received) await rm(received.path, { force: true });
      throw count > 1 ? withFileIndex(error, index) : error;
    }
  }

  /** Blob first (atomic rename), then the row; identical bytes return the existing image. */
  private async store(tenant: string, file: CheckedFile): Promise<ImageRecord> {
    const existing = await this.images.findBySha256(tenant, file.sha256);
    if (existing) return existing;
    await this.blobs.put(file.sha256, file.path);
    try {
      const { record } = await this.images.insertOrGet({
        id: randomUUID(),
        tenant,
        sha256: file.sha256,
        mimeType: file.mimeType,
        width: file.width,
        height: file.height,
        byteSize: file.byteSize,
      });
      return record;
    } catch (error) {
      // No row of any tenant points at this blob (the insert failed and no twin exists): take it back.
      if (!(await this.images.blobInUse(file.sha256))) await this.blobs.remove(file.sha256);
      throw error;
    }
  }
}

function withFileIndex(error: unknown, index: number): unknown {
  if (!(error instanceof GatewayError)) return error;
  return new GatewayError(error.code, `File ${index + 1}: ${error.message}`, {
    cause: error.cause,
    retryable: error.retryable,
    extensions: { ...error.extensions, fileIndex: index },
    httpStatus: error.httpStatus,
  });
}
