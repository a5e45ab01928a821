import DataLoader from 'dataloader';
import type { Services } from './app-types.js';
import type { Caller } from './modules/access/caller.js';
import type { AnswerResult } from './modules/answers/answer.service.js';
import type { AnswerRequest } from './modules/answers/answer-requests.js';
import type { AnswerRecord } from './modules/answers/result.service.js';
import type { ImageRecord } from './modules/images/image.service.js';
import type { JobItemWithAnswer, JobRecord } from './modules/jobs/job.service.js';
import type { WebhookRecord } from './modules/webhooks/webhook.service.js';
import type { LazySignal } from './platform/http/client-gone.js';

export interface Loaders {
  image: DataLoader<string, ImageRecord | null>;
  captionsOfImage: DataLoader<string, AnswerRecord[]>;
  questionsOfImage: DataLoader<string, AnswerRecord[]>;
  job: DataLoader<string, JobRecord | null>;
  jobItems: DataLoader<string, JobItemWithAnswer[]>;
  jobWebhook: DataLoader<string, WebhookRecord | null>;
  /** All model work of one operation lands in one batch: one upstream call per image. */
  modelWork: DataLoader<AnswerRequest, AnswerResult, string>;
}

/**
 * New per operation, so nothing cached here outlives a request. `signal` (the
 * client going away) reaches the upstream calls of this operation's model work;
 * a call other requests also wait on goes on for them.
 */
export function createLoaders(services: Services, caller: Caller, signal?: LazySignal): Loaders {
  const budget = services.payer.ofCaller(caller);
  return {
    image: new DataLoader((ids) => services.images.findMany(caller.tenant, ids)),
    captionsOfImage: new DataLoader((ids) => services.results.listForImages(ids, 'CAPTION')),
    questionsOfImage: new DataLoader((ids) => services.results.listForImages(ids, 'QUESTION')),
    job: new DataLoader((ids) => services.jobs.findMany(caller.tenant, ids)),
    jobItems: new DataLoader((ids) => services.jobs.itemsOf(ids)),
    jobWebhook: new DataLoader((ids) => services.webhooks.ofJobs(ids)),
    modelWork: new DataLoader((requests) => services.answers.answerAll(requests, budget, signal), {
      cacheKeyFn: (r) => JSON.stringify([r.image.id, r.prompt, r.refresh, r.exactOnly ?? false]),
      // Wait for the whole operation's resolvers to ask before sending anything upstream: they all
      // do so in the microtasks that follow their parent's value, which setImmediate lets finish
      // (without the millisecond a timer would add to every answer).
      batchScheduleFn: (callback) => setImmediate(callback),
    }),
  };
}
