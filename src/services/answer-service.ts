import type { Metrics } from '../metrics.js';
import type { ModelProvider, ModelResult } from '../model/provider.js';
import type { AnswerKind, AnswerRecord, AnswerRepository } from '../storage/answer-repository.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ImageRecord } from '../storage/image-repository.js';
import { AnswerCache, cacheKey } from './answer-cache.js';
import type { TokenBudget } from './auth/caller.js';
import { groupBy } from './collections.js';

/** One piece of model work: a prompt about an image. */
export interface AnswerRequest {
  image: ImageRecord;
  kind: AnswerKind;
  style: string | null;
  /** Already normalized. */
  prompt: string;
  refresh: boolean;
}

export interface AnswerResult {
  record: AnswerRecord;
  /** True when no upstream call was made for this response. */
  cached: boolean;
}

interface Deferred {
  request: AnswerRequest;
  key: string;
  resolve: (record: AnswerRecord) => void;
  reject: (error: Error) => void;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * Answers prompts about images: memory, then database, then one upstream
 * call per image carrying all of that image's missing prompts. The cache is
 * shared across tenants (same bytes, same prompt, same model), but each
 * tenant gets its own row.
 */
export class AnswerService {
  constructor(
    private readonly answers: AnswerRepository,
    private readonly blobs: BlobStore,
    private readonly provider: ModelProvider,
    private readonly cache: AnswerCache,
    private readonly metrics?: Metrics,
  ) {}

  get model(): string {
    return this.provider.model;
  }

  /**
   * Results in request order; a failure is returned in place, not thrown, so
   * others still succeed. `budget` is checked before anything is sent
   * upstream and charged only for answers that arrived.
   */
  async answerAll(requests: readonly AnswerRequest[], budget?: TokenBudget): Promise<Array<AnswerResult | Error>> {
    const keys = requests.map((r) => cacheKey(r.image.sha256, r.prompt, this.model));
    const slots = requests.map((r, i) => `${keys[i]!}${r.refresh ? ':refresh' : ''}`);
    const needsLookup = (r: AnswerRequest, i: number) => !r.refresh && !this.cache.get(keys[i]!) && !this.cache.pending(keys[i]!);
    const stored = await this.findStored(requests.filter(needsLookup));
    const refusal = budget && requests.some((r, i) => r.refresh || (needsLookup(r, i) && !stored.has(keys[i]!))) ? await budget.assertAvailable().then(() => null, asError) : null;

    const outcomes = new Map<string, Promise<AnswerResult>>();
    const toAsk: Deferred[] = [];
    requests.forEach((request, i) => {
      if (!outcomes.has(slots[i]!)) outcomes.set(slots[i]!, this.lookupOrSchedule(request, keys[i]!, stored, toAsk, refusal));
    });
    this.askUpstream(toAsk, budget);
    return Promise.all(slots.map((slot) => outcomes.get(slot)!.catch(asError)));
  }

  private lookupOrSchedule(
    request: AnswerRequest,
    key: string,
    stored: Map<string, AnswerRecord[]>,
    toAsk: Deferred[],
    refusal: Error | null,
  ): Promise<AnswerResult> {
    if (!request.refresh) {
      const rows = stored.get(key) ?? [];
      const hit = rows.find((row) => row.imageId === request.image.id) ?? this.cache.get(key) ?? rows[0];
      if (hit) {
        this.cache.set(key, hit);
        this.metrics?.cacheLookups.inc({ result: 'hit' });
        return this.own(request, hit).then((record) => ({ record, cached: true }));
      }
      const pending = this.cache.pending(key);
      if (pending) {
        this.metrics?.cacheLookups.inc({ result: 'hit' });
        return pending.then((record) => this.own(request, record)).then((record) => ({ record, cached: true }));
      }
    }
    if (refusal) return Promise.reject(refusal);
    this.metrics?.cacheLookups.inc({ result: 'miss' });
    const work = new Promise<AnswerRecord>((resolve, reject) => toAsk.push({ request, key, resolve, reject }));
    this.cache.track(key, work);
    return work.then((record) => ({ record, cached: false }));
  }

  /**
   * The requester's own row for an answer: another tenant's copy of the same
   * bytes lends its upstream work (the requester was billed nothing, so its
   * row carries no usage), never its row.
   */
  private async own(request: AnswerRequest, record: AnswerRecord): Promise<AnswerRecord> {
    if (record.imageId === request.image.id) return record;
    return this.answers.adopt({
      tenant: request.image.tenant,
      imageId: request.image.id,
      kind: request.kind,
      style: request.style,
      prompt: request.prompt,
      model: record.model,
      text: record.text,
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      cachedTokens: 0,
      latencyMs: 0,
    });
  }

  private async findStored(requests: readonly AnswerRequest[]): Promise<Map<string, AnswerRecord[]>> {
    if (requests.length === 0) return new Map();
    const rows = await this.answers.findByKeys(requests.map((r) => ({ sha256: r.image.sha256, prompt: r.prompt, model: this.model })));
    return groupBy(rows, (row) => cacheKey(row.image.sha256, row.prompt, row.model));
  }

  /** Groups the misses by image so each image is sent once with all its prompts. */
  private askUpstream(work: Deferred[], budget: TokenBudget | undefined): void {
    for (const group of groupBy(work, (item) => item.request.image.id).values()) void this.askForImage(group, budget);
  }

  private async askForImage(group: Deferred[], budget: TokenBudget | undefined): Promise<void> {
    const image = group[0]!.request.image;
    try {
      const data = await this.blobs.read(image.sha256);
      const results = await this.provider.answer(
        { mimeType: image.mimeType, width: image.width, height: image.height, data },
        group.map((item) => item.request.prompt),
      );
      await Promise.all(group.map((item, i) => this.settle(item, results[i], budget)));
    } catch (error) {
      for (const item of group) item.reject(asError(error));
    }
  }

  private async settle(item: Deferred, result: ModelResult | undefined, budget: TokenBudget | undefined): Promise<void> {
    if (!result) return item.reject(new Error('the model provider returned fewer results than prompts'));
    if (result instanceof Error) return item.reject(result);
    try {
      const { request } = item;
      const record = await this.answers.save({
        tenant: request.image.tenant,
        imageId: request.image.id,
        kind: request.kind,
        style: request.style,
        prompt: request.prompt,
        model: result.model ?? this.model,
        text: result.text,
        latencyMs: result.latencyMs,
        ...result.usage,
      });
      this.cache.set(item.key, record);
      await budget?.charge(result.usage.totalTokens);
      item.resolve(record);
    } catch (error) {
      item.reject(asError(error));
    }
  }
}
