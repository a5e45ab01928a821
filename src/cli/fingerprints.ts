import { Command } from 'commander';
import { logLevel } from '../platform/config.js';
import { createBlobStorage } from '../platform/blob-storage/blob-storage.js';
import { StorageHealth } from '../platform/blob-storage/storage-health.js';
import { redact } from '../platform/database/database-url.js';
import { createLogger } from '../platform/logger.js';
import { FingerprintRepository } from '../modules/near-duplicates/fingerprint.repository.js';
import { NearDuplicateService } from '../modules/near-duplicates/near-duplicate.service.js';
import { startProgress } from './ingest/progress.js';
import { withOperatorDatabase } from './operator-database.js';

/**
 * `npm run fingerprints`: computes the perceptual fingerprint of every stored
 * image that has none (uploaded before fingerprints existed, or whose
 * background turn was lost to a restart), for Image.nearDuplicates. Safe
 * beside a running gateway, and to run again: it only takes rows still empty.
 */

/** Distinct bytes asked for per query: one decode each, every tenant's rows of them filled at once. */
const BATCH = 100;

async function backfill(): Promise<{ done: number; failed: number }> {
  return withOperatorDatabase(
    (config) => `fingerprints: database ${redact(config.databaseUrl)}, blobs ${config.s3 ? `S3 bucket ${config.s3.bucket}` : config.blobDir} (from DATABASE_URL, DATA_DIR=${config.dataDir} and S3_BUCKET)`,
    async (db, config) => {
      const logger = createLogger(logLevel());
      const blobStorage = await createBlobStorage(config, new StorageHealth(logger));
      const repository = new FingerprintRepository(db);
      const service = new NearDuplicateService(repository, blobStorage.store, config.nearDuplicates, logger);
      const total = await repository.countUnfingerprinted();
      const progress = startProgress(total, { label: 'fingerprinting', unit: 'images', failedWord: 'failed' });
      let done = 0;
      let failed = 0;
      try {
        // Keyset order: a blob that fails stays empty and is passed, not asked for again in this run.
        for (let after: string | null = null, batch = await repository.unfingerprinted(null, BATCH); batch.length > 0; after = batch.at(-1)!, batch = await repository.unfingerprinted(after, BATCH)) {
          for (const sha256 of batch) {
            try {
              await service.fingerprint(sha256);
            } catch (error) {
              failed++;
              progress.log(`${sha256}: ${error instanceof Error ? error.message : String(error)}`);
            }
            done++;
            progress.update({ value: done, total: Math.max(done, total), failed });
          }
        }
      } finally {
        progress.stop();
        blobStorage.close();
      }
      return { done, failed };
    },
  );
}

const program = new Command('fingerprints')
  .description('Compute the perceptual fingerprints (for Image.nearDuplicates) of the stored images that have none.')
  .addHelpText('after', '\nRun it with the same DATABASE_URL and DATA_DIR (or S3_BUCKET) as the gateway:\n  DATA_DIR=/var/lib/gateway npm run fingerprints')
  .action(async () => {
    const { done, failed } = await backfill();
    console.log(`fingerprinted ${done - failed} image(s)${failed > 0 ? `, ${failed} failed (their blobs could not be read or decoded)` : ''}`);
    if (failed > 0) process.exitCode = 1;
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`fingerprints: ${error instanceof Error ? error.message : 'failed'}`);
  process.exit(1);
});
