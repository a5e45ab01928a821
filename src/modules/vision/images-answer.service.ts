import type { TokenEstimate } from '../../model/token-estimate.js';
import { badInput, notFound } from '../../platform/errors.js';
import { SharedAbort } from '../../platform/shared-abort.js';
import type { TokenBudget, TokenReservation } from '../access/caller.js';
import type { CacheScope } from '../answers/answer-cache.js';
import type { AnswerClaims } from '../answers/answer-claims.js';
import { normalizeQuestion } from '../answers/prompts.js';
import type { ImageLookup, ImageRecord } from '../images/image.repository.js';
import type { UsageLedger } from '../analytics/usage-ledger.js';
import { wasCut } from '../../model/finish-reason.js';
import type { Flight, FlightLane, Flights } from '../engine/flights.js';
import type { ModelCalls } from '../engine/model-calls.js';
import { serveKeyed } from '../engine/keyed-work.js';
import { imagesKeyOf, type ImagesAnswerKey, type ImagesAnswerRecord, type ImagesAnswerRepository } from './images-answer.repository.js';

/** The records this service hands out, for resolvers to name without reaching the repository. */
export type { ImagesAnswerRecord } from './images-answer.repository.js';

export interface ImagesAnswerLimits {
  /** MAX_IMAGES_PER_QUESTION. */
  maxImages: number;
  /** MAX_QUESTION_LENGTH, in characters. */
  questionLength: number;
}

export interface ImagesAnswerResult {
  record: ImagesAnswerRecord;
  /** True when no upstream call was made for this response. */
  cached: boolean;
}

/** One upstream call under way, which identical asks wait on instead of paying again. */
type ImagesFlight = Flight<ImagesAnswerRecord>;


/**
 * The images of a multi-image question, in the order given: 2 to `max`,
 * each once. A repeated image is refused rather than dropped, since a
 * question may name images by position ("the second one").
 */
export function askedImageIds(ids: readonly string[], max: number): readonly string[] {
  if (ids.length < 2) throw badInput(`Name at least 2 images (${ids.length} named); for one image use askQuestion.`);
  if (ids.length > max) throw badInput(`A question covers at most ${max} images (MAX_IMAGES_PER_QUESTION); ${ids.length} were named.`);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw badInput(`Image "${repeated}" is named twice: name each image once, in the order the question refers to them.`);
  return ids;
}

/** The usage kind of a question about several images. */
const IMAGES_QUESTION_KIND = 'IMAGES_QUESTION';

export interface ImagesAskOptions {
  /** Always ask the model (default false). */
  refresh?: boolean;
  /** The caller is gone: the call stops unless others wait on it. */
  signal?: AbortSignal;
  /** The kind its usage is recorded under (default IMAGES_QUESTION): CHAT for the OpenAI-compatible door. */
  usageKind?: string;
}

type Asked = Required<Omit<ImagesAskOptions, 'signal'>> & Pick<ImagesAskOptions, 'signal'>;

/** What ImagesAnswerService is made of. */
export interface ImagesAnswerParts {
  answers: Pick<ImagesAnswerRepository, 'findForTenant' | 'findByKey' | 'save' | 'adopt' | 'relink'>;
  images: ImageLookup;
  calls: ModelCalls;
  flights: Flights;
  estimate: Pick<TokenEstimate, 'forImages' | 'promptOfImages' | 'completionTokensPerAnswer'>;
  scope: CacheScope;
  limits: ImagesAnswerLimits;
  ledger?: UsageLedger;
  /** REDIS_URL: single flight across replicas, as for answers. */
  claims?: AnswerClaims;
}

/**
 * One question about several images (askAboutImages), all of them in one
 * upstream request, in the order given. Served like answers (the cache
 * contract, CACHE_SCOPE): the stored row, then a call already under way for
 * the same key, then the model. The key is (the images' sha256s in order,
 * the normalized question, the model); with REDIS_URL a call is claimed
 * across replicas like an answer's. The call reserves its estimated
 * tokens from the caller's budget before it is made and settles to the
 * billed usage after.
 */
export class ImagesAnswerService {
  private readonly inFlight: FlightLane<ImagesFlight>;
  private readonly answers: ImagesAnswerParts['answers'];
  private readonly images: ImageLookup;
  private readonly calls: ModelCalls;
  private readonly estimate: ImagesAnswerParts['estimate'];
  private readonly scope: CacheScope;
  private readonly limits: ImagesAnswerLimits;
  private readonly ledger?: UsageLedger;
  private readonly claims?: AnswerClaims;

  constructor(parts: ImagesAnswerParts) {
    ({
      answers: this.answers,
      images: this.images,
      calls: this.calls,
      estimate: this.estimate,
      scope: this.scope,
      limits: this.limits,
      ledger: this.ledger,
      claims: this.claims,
    } = parts);
    this.inFlight = parts.flights.lane<ImagesFlight>('images');
  }

  find(tenant: string, id: string): Promise<ImagesAnswerRecord | null> {
    return this.answers.findForTenant(tenant, id);
  }

  /** The answer, from the cache or one upstream call; either is recorded as a result served to the budget's key. */
  async ask(tenant: string, budget: TokenBudget, imageIds: readonly string[], question: string, options: ImagesAskOptions = {}): Promise<ImagesAnswerResult> {
    const asked = { refresh: options.refresh ?? false, signal: options.signal, usageKind: options.usageKind ?? IMAGES_QUESTION_KIND };
    const result = await this.answer(tenant, budget, imageIds, question, asked);
    const { record, cached } = result;
    this.ledger?.served({ tenant, apiKeyId: budget.apiKeyId }, record.model, asked.usageKind, cached ? record : null);
    return result;
  }

  private async answer(tenant: string, budget: TokenBudget, imageIds: readonly string[], question: string, asked: Asked): Promise<ImagesAnswerResult> {
    const { refresh, signal } = asked;
    const ids = askedImageIds(imageIds, this.limits.maxImages);
    const prompt = normalizeQuestion(question, this.limits.questionLength);
    const images = await this.tenantImages(tenant, ids);
    const key: ImagesAnswerKey = { imagesKey: imagesKeyOf(images), prompt, model: this.calls.model };
    // Its own claim namespace: these keys never meet a single image's answers'.
    const claim = `images:${JSON.stringify(this.scope === 'tenant' ? [tenant, key] : [key])}`;
    const storeScope = this.scope === 'tenant' ? tenant : null;
    const served = async (record: ImagesAnswerRecord): Promise<ImagesAnswerResult> => ({ record: await this.own(tenant, images, record), cached: true });
    let room: number | undefined;
    return serveKeyed(this.claims, {
      claim,
      refresh,
      join: () => this.inFlight.join(claim, signal)?.work.then(served),
      stored: async () => {
        const row = await this.answers.findByKey(key, storeScope);
        if (!row) return undefined;
        // A stored reply cut by max_tokens is never served as complete: asked again with twice its room.
        if (!wasCut(row)) return served(row);
        room = 2 * Math.max(this.estimate.completionTokensPerAnswer, row.completionTokens);
        return undefined;
      },
      reserve: () => budget.reserve(this.estimate.forImages(images, prompt)),
      // Another replica is asking the same: its stored row once it is done (or, if it stored none, asked again).
      elsewhere: async () => {
        await this.claims!.settled(claim, signal);
        return this.answer(tenant, budget, imageIds, question, asked);
      },
      start: (reservation) => {
        const abort = new SharedAbort();
        abort.join(signal);
        const saved = this.call(tenant, budget.apiKeyId, images, key, { reservation, signal: abort.signal, completionTokensPerAnswer: room, usageKind: asked.usageKind }).then((answer) => this.answers.save(answer));
        this.inFlight.track(claim, { work: saved, abort });
        return { result: saved.finally(() => abort.release()).then((record) => ({ record, cached: false })), settled: saved };
      },
    });
  }

  /** The caller's images in the order named; another tenant's image is as unknown as a missing one. */
  private async tenantImages(tenant: string, ids: readonly string[]): Promise<ImageRecord[]> {
    const found = new Map((await this.images.findByIds(tenant, ids)).map((image) => [image.id, image]));
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw notFound('image', missing);
    return ids.map((id) => found.get(id)!);
  }

  /**
   * Asks the model once, every image in the first (only) user turn. Never
   * billed when it fails, unless every caller left while the endpoint worked
   * on it: then it owes the estimate.
   */
  private async call(tenant: string, apiKeyId: string | null, images: readonly ImageRecord[], key: ImagesAnswerKey, ask: { reservation: TokenReservation; signal: AbortSignal; completionTokensPerAnswer: number | undefined; usageKind: string }) {
    const answer = await this.calls.chat(this.calls.about(images, [{ role: 'user', text: key.prompt }]), {
      ...ask,
      payer: { tenant, apiKeyId },
      promptTokens: () => this.estimate.promptOfImages(images, key.prompt),
      maxCompletionTokens: this.estimate.completionTokensPerAnswer,
    });
    const { text, finishReason, latencyMs } = answer;
    return { tenant, ...key, model: answer.model ?? key.model, imageIds: images.map((image) => image.id), text, finishReason, latencyMs, ...answer.usage };
  }

  /**
   * The requester's own row: another tenant's answer for the same bytes
   * (global scope) lends its upstream work, never its row (nor its usage:
   * the requester was billed nothing). Its own row is pointed at its images
   * again should one have been deleted and uploaded anew.
   */
  private async own(tenant: string, images: readonly ImageRecord[], record: ImagesAnswerRecord): Promise<ImagesAnswerRecord> {
    const imageIds = images.map((image) => image.id);
    if (record.tenant !== tenant) {
      const { imagesKey, prompt, model, text, finishReason } = record;
      return this.answers.adopt({ tenant, imagesKey, prompt, model, text, finishReason, imageIds, promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0, latencyMs: 0 });
    }
    const linked = record.images.map((image) => image.id);
    return linked.join() === imageIds.join() ? record : this.answers.relink(record.id, imageIds);
  }
}
