import { Command } from 'commander';
import { loadConfig, logLevel } from '../platform/config.js';
import { GatewayError } from '../platform/errors.js';
import { createBlobStorage } from '../platform/blob-storage/blob-storage.js';
import { StorageHealth } from '../platform/blob-storage/storage-health.js';
import { openDatabase } from '../platform/database/database.js';
import { parseDatabaseUrl, redact } from '../platform/database/database-url.js';
import { migrateDatabase } from '../platform/database/migrate.js';
import { createLogger } from '../platform/logger.js';
import { AnswerRepository } from '../modules/answers/answer.repository.js';
import { ResultService } from '../modules/answers/result.service.js';
import { BlobsInFlight } from '../modules/images/blobs-in-flight.js';
import { ImageRepository } from '../modules/images/image.repository.js';
import { BlobRelease } from '../modules/lifecycle/blob-release.js';
import { NO_EFFECTS } from '../modules/lifecycle/deletion-effects.js';
import { DeletionRepository } from '../modules/lifecycle/deletion.repository.js';
import { DeletionService, type TenantErasure } from '../modules/lifecycle/deletion.service.js';

/** `npm run tenants -- delete NAME`, against DATABASE_URL (or DATA_DIR's SQLite file) and DATA_DIR's blobs. */

const REPORT: Array<[keyof TenantErasure, string]> = [
  ['images', 'images'],
  ['answers', 'captions, answers and vision results'],
  ['imagesAnswers', 'multi-image answers'],
  ['conversations', 'conversations'],
  ['jobs', 'jobs'],
  ['keys', 'API keys'],
  ['usage', 'usage records (upstream calls, result tallies)'],
  ['blobs', 'image files (no other tenant uses their bytes)'],
  ['thumbnails', 'thumbnails'],
];

async function eraseTenant(tenant: string): Promise<TenantErasure> {
  const config = loadConfig();
  // Said every time: erasing in another database than the gateway's would remove nothing.
  const blobsAt = config.s3 ? `S3 bucket ${config.s3.bucket}` : config.blobDir;
  console.error(`tenants: database ${redact(config.databaseUrl)}, blobs ${blobsAt} (from DATABASE_URL, DATA_DIR=${config.dataDir} and S3_BUCKET)`);
  await migrateDatabase(config.databaseUrl);
  const db = await openDatabase(config.databaseUrl);
  const blobStorage = await createBlobStorage(config, new StorageHealth(createLogger(logLevel())));
  try {
    const images = new ImageRepository(db);
    const results = new ResultService(new AnswerRepository(db, { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs }), config.analyticsQueryTimeoutMs);
    // A process of its own: no caches to clear, no job subscribers to tell.
    const deletion = new DeletionService(new DeletionRepository(db), new BlobRelease(blobStorage.store, images, new BlobsInFlight()), results, NO_EFFECTS);
    return await deletion.deleteTenant(tenant);
  } finally {
    blobStorage.close();
    await db.$disconnect();
  }
}

const program = new Command('tenants').description('Manage the gateway’s tenants.').addHelpText(
  'after',
  `
Run this with the same DATABASE_URL and DATA_DIR as the gateway you manage:
  DATA_DIR=/var/lib/gateway npm run tenants -- delete acme`,
);

program
  .command('delete')
  .description("erase a tenant's data entirely: rows, keys, and the image files no other tenant uses; prints what was removed")
  .argument('<name>', 'the tenant, as given to `keys create --tenant`')
  .action(async (name: string) => {
    const removed = await eraseTenant(name);
    console.log(`erased tenant "${name}":`);
    for (const [key, label] of REPORT) console.log(`  ${String(removed[key]).padStart(8)}  ${label}`);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof GatewayError || error instanceof Error ? `tenants: ${error.message}` : 'tenants: failed');
  process.exit(1);
});
