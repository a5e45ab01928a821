import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { logLevel, type Config } from '../platform/config.js';
import { GatewayError } from '../platform/errors.js';
import { createBlobStorage } from '../platform/blob-storage/blob-storage.js';
import { StorageHealth } from '../platform/blob-storage/storage-health.js';
import type { Db } from '../platform/database/database.js';
import { parseDatabaseUrl, redact } from '../platform/database/database-url.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { RedisConnections } from '../platform/redis/connection.js';
import { AnswerRepository } from '../modules/answers/answer.repository.js';
import { ResultService } from '../modules/answers/result.service.js';
import { BlobsInFlight } from '../modules/images/blobs-in-flight.js';
import { ImageRepository } from '../modules/images/image.repository.js';
import { BlobRelease } from '../modules/lifecycle/blob-release.js';
import { NO_EFFECTS, type DeletionEffects } from '../modules/lifecycle/deletion-effects.js';
import { DeletionRepository } from '../modules/lifecycle/deletion.repository.js';
import { DeletionService, type TenantErasure } from '../modules/lifecycle/deletion.service.js';
import { ReplicaCaches } from '../modules/lifecycle/replica-caches.js';
import { TenantRepository, type TenantSummary } from '../modules/lifecycle/tenant.repository.js';
import { withOperatorDatabase } from './operator-database.js';

/** `npm run tenants -- list | delete NAME [--yes]`, against DATABASE_URL (or DATA_DIR's SQLite file) and DATA_DIR's blobs. */

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

function withDatabase<T>(action: (db: Db, config: Config) => Promise<T>): Promise<T> {
  return withOperatorDatabase((config) => {
    const blobsAt = config.s3 ? `S3 bucket ${config.s3.bucket}` : config.blobDir;
    return `tenants: database ${redact(config.databaseUrl)}, blobs ${blobsAt} (from DATABASE_URL, DATA_DIR=${config.dataDir} and S3_BUCKET)`;
  }, action);
}

const describeSummary = (s: TenantSummary) =>
  `${s.activeKeys} active keys, ${s.images} images, ${s.results} results, ${s.conversations} conversations, ${s.jobs} jobs`;

/** On a terminal: the operator types the tenant's name. Elsewhere (a script, a pipe) only --yes erases. */
async function confirmErasure(summary: TenantSummary, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new Error(`not erasing "${summary.tenant}" without confirmation: stdin is not a terminal. Run it on a terminal, or add --yes.`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const typed = await prompt.question(`Erase tenant "${summary.tenant}" (${describeSummary(summary)})? This cannot be undone. Type its name to confirm: `);
    if (typed.trim() !== summary.tenant) throw new Error(`not erased: "${typed.trim()}" is not "${summary.tenant}".`);
  } finally {
    prompt.close();
  }
}

/**
 * Running gateways drop the tenant from memory once they see the erasure in
 * the database (TENANT_ERASURE_CHECK_MS); with REDIS_URL they are also told
 * at once, on the channel replicas use for their own deletions.
 */
async function announceTo(config: Config, logger: Logger, erase: (effects: DeletionEffects) => Promise<TenantErasure>): Promise<TenantErasure> {
  if (!config.redis) return erase(NO_EFFECTS);
  const redis = new RedisConnections(config.redis, logger);
  try {
    const replicas = new ReplicaCaches(NO_EFFECTS, { drop: () => {} }, redis, logger);
    const removed = await erase(replicas);
    await replicas.published();
    return removed;
  } finally {
    await redis.close();
  }
}

async function eraseTenant(name: string, yes: boolean): Promise<TenantErasure> {
  return withDatabase(async (db, config) => {
    const summary = await new TenantRepository(db).find(name);
    if (!summary) throw new Error(`no tenant "${name}": nothing carries that name (\`tenants list\` shows the tenants).`);
    await confirmErasure(summary, yes);
    const logger = createLogger(logLevel());
    const blobStorage = await createBlobStorage(config, new StorageHealth(logger));
    try {
      const images = new ImageRepository(db);
      const results = new ResultService(new AnswerRepository(db, { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs }), config.analyticsQueryTimeoutMs);
      const release = new BlobRelease(blobStorage.store, images, new BlobsInFlight());
      return await announceTo(config, logger, (effects) => new DeletionService(new DeletionRepository(db), release, results, effects).deleteTenant(name));
    } finally {
      blobStorage.close();
    }
  });
}

const program = new Command('tenants').description('Manage the gateway’s tenants.').addHelpText(
  'after',
  `
Run this with the same DATABASE_URL and DATA_DIR (and REDIS_URL, if any) as the gateway you manage:
  DATA_DIR=/var/lib/gateway npm run tenants -- list
  DATA_DIR=/var/lib/gateway npm run tenants -- delete acme`,
);

program
  .command('list')
  .description('list the tenants: every name keys, images, results, jobs or usage records carry, with what each holds')
  .action(async () => {
    const tenants = await withDatabase((db) => new TenantRepository(db).list());
    if (tenants.length === 0) console.log('no tenants yet');
    for (const summary of tenants) console.log(`${summary.tenant}\t${describeSummary(summary)}`);
  });

program
  .command('delete')
  .description("erase a tenant's data entirely: rows, keys, and the image files no other tenant uses; prints what was removed")
  .argument('<name>', 'the tenant, as `tenants list` shows it')
  .option('--yes', 'erase without asking (needed when stdin is not a terminal)')
  .action(async (name: string, options: { yes?: boolean }) => {
    const removed = await eraseTenant(name, options.yes === true);
    console.log(`erased tenant "${name}":`);
    for (const [key, label] of REPORT) console.log(`  ${String(removed[key]).padStart(8)}  ${label}`);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof GatewayError || error instanceof Error ? `tenants: ${error.message}` : 'tenants: failed');
  process.exit(1);
});
