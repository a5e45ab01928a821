import type { Config } from './platform/config.js';
import type { Gateway } from './platform/gateway.js';
import type { Caller } from './modules/access/caller.js';
import type { ApiKeyService } from './modules/access/api-key.service.js';
import type { TokenPayer } from './modules/access/token-payer.js';
import type { UsageLimits } from './modules/access/usage-limits.js';
import type { AnswerService } from './modules/answers/answer.service.js';
import type { ResultService } from './modules/answers/result.service.js';
import type { ImageDelivery } from './modules/images/image-delivery.js';
import type { ImageService } from './modules/images/image.service.js';
import type { ImageUrls } from './modules/images/image-urls.js';
import type { NearDuplicateService } from './modules/near-duplicates/near-duplicate.service.js';
import type { JobService } from './modules/jobs/job.service.js';
import type { ConversationService } from './modules/conversations/conversation.service.js';
import type { VisionService } from './modules/vision/vision.service.js';
import type { ImagesAnswerService } from './modules/vision/images-answer.service.js';
import type { SqlStatements } from './platform/database/sql-statements.js';
import type { PriceTable } from './modules/analytics/model-prices.js';
import type { UsageService } from './modules/analytics/usage.service.js';
import type { DeletionService } from './modules/lifecycle/deletion.service.js';
import type { ExportService } from './modules/exports/export.service.js';
import type { ExportLinks } from './modules/exports/export-links.js';
import type { WebhookService } from './modules/webhooks/webhook.service.js';

/** The composition root's types (src/app.ts builds them), in their own file so nothing imports app.ts back. */

export interface Services {
  config: Config;
  images: ImageService;
  /** Captions, questions and structured results; answerStream is its streaming mode. */
  answers: AnswerService;
  results: ResultService;
  jobs: JobService;
  /** Job webhooks: webhookUrl checks at submit, Job.webhook (modules/webhooks). */
  webhooks: WebhookService;
  conversations: ConversationService;
  /** Moderation, text reading and object detection: structured answers (modules/vision). */
  vision: VisionService;
  /** askAboutImages: one question about several images. */
  imagesAnswers: ImagesAnswerService;
  /** Query.usage: calls, tokens and cache savings (modules/analytics). */
  usage: UsageService;
  /** Prices per model: Usage.cost (modules/analytics). */
  prices: PriceTable;
  keys: ApiKeyService;
  limits: UsageLimits;
  /** Whose token budget model work is charged to. */
  payer: TokenPayer;
  /** Perceptual fingerprints and Image.nearDuplicates (modules/near-duplicates). */
  nearDuplicates: NearDuplicateService;
  /** Mints signed image URLs (GraphQL side). */
  imageUrls: ImageUrls;
  /** Serves what a signed image URL grants (HTTP side). */
  imageDelivery: ImageDelivery;
  /** deleteImage, deleteResults, tenant erasure and the retention sweep's batches (modules/lifecycle). */
  deletion: DeletionService;
  /** GET /export/<kind>.<format> and `npm run export` (modules/exports). */
  exports: ExportService;
  /** exportUrl's signed links, and their check on the route. */
  exportLinks: ExportLinks;
}

/** The running application: what the server wires (Gateway) plus the services and the workers' lifecycle. */
export interface App extends Gateway<Caller> {
  services: Services;
  /** Every SQL statement sent, for gateway_db_statements_total and for tests that count them. */
  statements: SqlStatements;
  /** Starts the modules' workers: the usage ledger, replica caches, erasure watch and retention sweep, the job queue (resuming unfinished jobs), webhook deliveries, the orphan sweep. */
  startWorkers(): Promise<void>;
  /** Takes no new job work; in-flight upstream calls get SHUTDOWN_GRACE_MS to finish. */
  stopWorkers(): Promise<void>;
  /** Stops the workers (if not yet) and closes the database. */
  close(): Promise<void>;
}
