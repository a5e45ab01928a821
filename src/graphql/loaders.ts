import DataLoader from 'dataloader';
import type { Services } from '../app.js';
import type { Caller } from '../services/auth/caller.js';
import type { AnswerRequest, AnswerResult } from '../services/answer-service.js';
import type { AnswerRecord } from '../storage/answer-repository.js';
import type { ImageRecord } from '../storage/image-repository.js';
import type { JobItemWithAnswer, JobRecord } from '../storage/job-repository.js';

export interface Loaders {
  image: DataLoader<string, ImageRecord | null>;
  captionsOfImage: DataLoader<string, AnswerRecord[]>;
  questionsOfImage: DataLoader<string, AnswerRecord[]>;
  job: DataLoader<string, JobRecord | null>;
  jobItems: DataLoader<string, JobItemWithAnswer[]>;
  /** All model work of one operation lands in one batch: one upstream call per image. */
  modelWork: DataLoader<AnswerRequest, AnswerResult, string>;
}

/** New per operation, so nothing cached here outlives a request. */
export function createLoaders(services: Services, caller: Caller): Loaders {
  const budget = services.limits.budgetFor(caller);
  return {
    image: new DataLoader((ids) => services.images.findMany(caller.tenant, ids)),
    captionsOfImage: new DataLoader((ids) => services.results.listForImages(ids, 'CAPTION')),
    questionsOfImage: new DataLoader((ids) => services.results.listForImages(ids, 'QUESTION')),
    job: new DataLoader((ids) => services.jobs.findMany(caller.tenant, ids)),
    jobItems: new DataLoader((ids) => services.jobs.itemsOf(ids)),
    modelWork: new DataLoader((requests) => services.answers.answerAll(requests, budget), {
      cacheKeyFn: (r) => JSON.stringify([r.image.id, r.prompt, r.refresh]),
      // Wait for the whole operation's resolvers to ask before sending anything upstream.
      batchScheduleFn: (callback) => setTimeout(callback, 0),
    }),
  };
}
