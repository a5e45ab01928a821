import type { Config } from '../config.js';
import type { Readiness } from '../http/health.js';
import { FileBlobStore, type BlobStore } from './blob-store.js';
import { LocalTemporaries } from './local-temporaries.js';
import type { StorageHealth } from './storage-health.js';

/** The blob store the configuration names, with what /readyz and shutdown need of it. */
export interface BlobStorage {
  store: BlobStore;
  /** Readiness checks by name (see readinessOf): `storage` (where uploads land is writable), and `s3` (the bucket answers) when configured. */
  checks: Record<string, () => Promise<Readiness>>;
  close(): void;
}

/**
 * S3_BUCKET set: an S3-compatible bucket; otherwise files under DATA_DIR/blobs
 * (the embedded default, which never loads the AWS SDK).
 */
export async function createBlobStorage(config: Pick<Config, 'blobDir' | 'tmpDir' | 's3'>, health: StorageHealth): Promise<BlobStorage> {
  if (!config.s3) {
    const store = new FileBlobStore(config.blobDir, config.tmpDir, health);
    return { store, checks: { storage: () => health.readiness(() => store.checkWritable()) }, close: () => {} };
  }
  const { createS3Client, S3BlobStore } = await import('./s3-blob-store.js');
  const store = new S3BlobStore({ client: createS3Client(config.s3), settings: config.s3, temporaries: new LocalTemporaries(config.tmpDir, health), monitor: health });
  return {
    store,
    checks: { storage: () => health.readiness(() => store.checkWritable()), s3: () => store.readiness() },
    close: () => store.close(),
  };
}
