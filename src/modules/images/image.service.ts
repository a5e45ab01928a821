import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GatewayError, notFound } from '../../platform/errors.js';
import type { BlobStore, StorageMonitor } from '../../platform/blob-storage/blob-store.js';
import { diskFaultCode, storageFull } from '../../platform/blob-storage/disk-faults.js';
import type { ImageListFilter, ImageLookup, ImageRecord, ImageRepository } from './image.repository.js';
import type { Page, PageArgs } from '../../platform/database/pagination.js';
import type { BlobsInFlight } from './blobs-in-flight.js';
import { byKeys } from '../../platform/collections.js';
import { detectMimeType, inspectImage, type ImageFacts } from './image-inspection.js';
import { receiveStream, type ReceivedFile } from './receive-stream.js';
import type { Caller } from '../access/caller.js';

/** The record this service hands out, for its callers (resolvers, loaders) to name without reaching the repository. */
export type { ImageRecord } from './image.repository.js';

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

/** Whose images an upload stores (its tenant), and the key that sent it (for work it triggers, e.g. MODERATE_UPLOADS). */
export type Uploader = Pick<Caller, 'tenant' | 'apiKeyId'>;

/** What ImageService is made of. */
export interface ImageServiceParts {
  images: ImageRepository;
  /** Rows by id for reads (ImageCache: no database round trip for an image seen before). */
  lookup: ImageLookup;
  blobs: BlobStore;
  limits: UploadLimits;
  openRemote: OpenRemote;
  /** Told when an upload's writes fail with a disk fault, and when they go through again. */
  monitor: StorageMonitor;
  /** The blobs uploads are putting in place, which the orphan sweep must leave alone. */
  inFlight: BlobsInFlight;
  /** Told of the rows an upload created (not the tenant's existing rows for the same bytes) once committed, and by whom; must not throw. */
  onStored?: (uploader: Uploader, created: ImageRecord[]) => void;
}

export class ImageService {
  private readonly images: ImageRepository;
  private readonly lookup: ImageLookup;
  private readonly blobs: BlobStore;
  private readonly limits: UploadLimits;
  private readonly openRemote: OpenRemote;
  private readonly monitor: StorageMonitor;
  private readonly inFlight: BlobsInFlight;
  private readonly onStored: (uploader: Uploader, created: ImageRecord[]) => void;

  constructor(parts: ImageServiceParts) {
    ({
      images: this.images,
      lookup: this.lookup,
      blobs: this.blobs,
      limits: this.limits,
      openRemote: this.openRemote,
      monitor: this.monitor,
      inFlight: this.inFlight,
      onStored: this.onStored = () => {},
    } = parts);
  }

  /** Another tenant's image is exactly as unknown as one that does not exist. */
  async get(tenant: string, id: string): Promise<ImageRecord> {
    const [image] = await this.lookup.findByIds(tenant, [id]);
    if (!image) throw notFound('image', id);
    return image;
  }

  /** Batch lookup for loaders: results in the order of `ids`, null where unknown. */
  async findMany(tenant: string, ids: readonly string[]): Promise<Array<ImageRecord | null>> {
    return byKeys(ids, await this.lookup.findByIds(tenant, ids), (row) => row.id);
  }

  page(tenant: string, filter: ImageListFilter, args: PageArgs): Promise<Page<ImageRecord>> {
    return this.images.page(tenant, filter, args);
  }

  /** Fetches an image by URL for the caller, with every check an upload gets. */
  async importFromUrl(uploader: Uploader, url: string): Promise<ImageRecord> {
    const [image] = await this.upload(uploader, [() => this.openRemote(url)]);
    return image!;
  }

  /**
   * Stores every file or none: each is received and checked into a temporary
   * file first, and only when all pass are blobs moved into place and rows written.
   * A full or failing disk is STORAGE_FULL, reported to the operator once per episode.
   */
  async upload(uploader: Uploader, files: readonly OpenUpload[]): Promise<ImageRecord[]> {
    if (files.length === 0) throw new GatewayError('BAD_USER_INPUT', 'No files were sent.');
    if (files.length > this.limits.uploadFiles) {
      throw new GatewayError('PAYLOAD_TOO_LARGE', `At most ${this.limits.uploadFiles} files per request (MAX_UPLOAD_FILES).`);
    }
    const checked: CheckedFile[] = [];
    try {
      // In order: the multipart parser hands out file N+1 only after file N was read.
      for (const [index, open] of files.entries()) checked.push(await this.receive(open, index, files.length));
      const stored = await this.store(uploader, checked);
      this.monitor.diskWritable();
      return stored;
    } catch (error) {
      if (diskFaultCode(error) === undefined) throw error;
      this.monitor.diskFault(error);
      throw error instanceof GatewayError && error.code === 'STORAGE_FULL' ? error : storageFull(error);
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
      // A full disk is no fault of this file's.
      throw count > 1 && diskFaultCode(error) === undefined ? withFileIndex(error, index) : error;
    }
  }

  /**
   * Every blob first (an existing copy is replaced by the same bytes, which
   * repairs a lost or damaged one), then every row in one transaction. A
   * crash in between leaves blobs without rows, which the orphan sweep
   * removes, and never part of a batch; a failed transaction takes its blobs back.
   */
  private async store(uploader: Uploader, files: readonly CheckedFile[]): Promise<ImageRecord[]> {
    // The same bytes twice in one batch are one blob and one row.
    const unique = [...new Map(files.map((file) => [file.sha256, file])).values()];
    const release = this.inFlight.hold(unique.map((file) => file.sha256));
    try {
      for (const file of unique) await this.blobs.put(file.sha256, file.path);
      const fresh = unique.map((file) => ({ id: randomUUID(), sha256: file.sha256, mimeType: file.mimeType, width: file.width, height: file.height, byteSize: file.byteSize }));
      const rows = await this.images.insertAll(uploader.tenant, fresh);
      const freshIds = new Set<string>(fresh.map((row) => row.id));
      const created = [...rows.values()].filter((row) => freshIds.has(row.id));
      if (created.length > 0) this.onStored(uploader, created);
      return files.map((file) => rows.get(file.sha256)!);
    } catch (error) {
      release();
      // Best effort: what stays behind is an orphan, and the sweep's.
      await Promise.allSettled(unique.map((file) => this.takeBack(file.sha256)));
      throw error;
    } finally {
      release();
    }
  }

  /** Removes a blob this upload put, unless a row or another upload wants it (checked first, so a wanted blob never even moves). */
  private async takeBack(sha256: string): Promise<void> {
    if (!(await this.stillWanted(sha256))) await this.blobs.removeUnless(sha256, () => this.stillWanted(sha256));
  }

  private async stillWanted(sha256: string): Promise<boolean> {
    return this.inFlight.has(sha256) || (await this.images.blobInUse(sha256));
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
