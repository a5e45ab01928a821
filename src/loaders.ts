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
 * a call other requests also wait on goes on for them. Each loader is made when
 * first used: an operation uses one or two of them (a cached answer: the image
 * and the model work).
 */
class OperationLoaders implements Loaders {
  #image?: Loaders['image'];
  #captionsOfImage?: Loaders['captionsOfImage'];
  #questionsOfImage?: Loaders['questionsOfImage'];
  #job?: Loaders['job'];
  #jobItems?: Loaders['jobItems'];
  #jobWebhook?: Loaders['jobWebhook'];
  #modelWork?: Loaders['modelWork'];

  constructor(
    private readonly services: Services,
    private readonly caller: Caller,
    private readonly signal: LazySignal | undefined,
  ) {}

  get image(): Loaders['image'] {
    return (this.#image ??= new DataLoader((ids) => this.services.images.findMany(this.caller.tenant, ids)));
  }

  get captionsOfImage(): Loaders['captionsOfImage'] {
    return (this.#captionsOfImage ??= new DataLoader((ids) => this.services.results.listForImages(ids, 'CAPTION')));
  }

  get questionsOfImage(): Loaders['questionsOfImage'] {
    return (this.#questionsOfImage ??= new DataLoader((ids) => this.services.results.listForImages(ids, 'QUESTION')));
  }

  get job(): Loaders['job'] {
    return (this.#job ??= new DataLoader((ids) => this.services.jobs.findMany(this.caller.tenant, ids)));
  }

  get jobItems(): Loaders['jobItems'] {
    return (this.#jobItems ??= new DataLoader((ids) => this.services.jobs.itemsOf(ids)));
  }

  get jobWebhook(): Loaders['jobWebhook'] {
    return (this.#jobWebhook ??= new DataLoader((ids) => this.services.webhooks.ofJobs(ids)));
  }

  get modelWork(): Loaders['modelWork'] {
    if (this.#modelWork) return this.#modelWork;
    const budget = this.services.payer.ofCaller(this.caller);
    return (this.#modelWork = new DataLoader((requests) => this.services.answers.answerAll(requests, budget, this.signal), {
      cacheKeyFn: (r) => JSON.stringify([r.image.id, r.prompt, r.refresh, r.exactOnly ?? false]),
      // Wait for the whole operation's resolvers to ask before sending anything upstream: they all
      // do so in the microtasks that follow their parent's value, which setImmediate lets finish
      // (without the millisecond a timer would add to every answer).
      batchScheduleFn: (callback) => setImmediate(callback),
    }));
  }
}

export function createLoaders(services: Services, caller: Caller, signal?: LazySignal): Loaders {
  return new OperationLoaders(services, caller, signal);
}
