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
import type { JobService } from './modules/jobs/job.service.js';

/** The composition root's types (src/app.ts builds them), in their own file so nothing imports app.ts back. */

export interface Services {
  config: Config;
  images: ImageService;
  answers: AnswerService;
  results: ResultService;
  jobs: JobService;
  keys: ApiKeyService;
  limits: UsageLimits;
  /** Whose token budget model work is charged to. */
  payer: TokenPayer;
  /** Mints signed image URLs (GraphQL side). */
  imageUrls: ImageUrls;
  /** Serves what a signed image URL grants (HTTP side). */
  imageDelivery: ImageDelivery;
}

/** The running application: what the server wires (Gateway) plus the services and the workers' lifecycle. */
export interface App extends Gateway<Caller> {
  services: Services;
  /** Starts the job worker (resuming unfinished jobs) and the orphan sweep. */
  startWorkers(): Promise<void>;
  /** Takes no new job work; in-flight upstream calls get SHUTDOWN_GRACE_MS to finish. */
  stopWorkers(): Promise<void>;
  /** Stops the workers (if not yet) and closes the database. */
  close(): Promise<void>;
}
