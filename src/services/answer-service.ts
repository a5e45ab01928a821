import type { ModelProvider } from '../model/provider.js';
import type { AnswerKind, AnswerRecord, AnswerRepository } from '../storage/answer-repository.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ImageRecord } from '../storage/image-repository.js';
import { AnswerCache, cacheKey } from './answer-cache.js';
import { groupBy } from './group-by.js';

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

/**
 * Answers prompts about images: memory, then database, then one upstream
 * call per image carrying all of that image's missing prompts.
 */
export class AnswerService {
  constructor(
    private readonly answers: AnswerRepository,
    private readonly blobs: BlobStore,
    private readonly provider: ModelProvider,
    private readonly cache: AnswerCache,
  ) {}

  get model(): string {
    return this.provider.model;
  }

  /** Results in request order; a failure is returned in place, not thrown, so others still succeed. */
  async answerAll(requests: readonly AnswerRequest[]): Promise<Array<AnswerResult | Error>> {
    const keys = requests.map((r) => cacheKey(r.image.sha256, r.prompt, this.model));
    const outcomes = new Map<string, Promise<AnswerResult>>();

    const stored = await this.findStored(requests.filter((r, i) => !r.refresh && !this.cache.get(keys[i]!) && !this.cache.pending(keys[i]!)));
    const toAsk: Deferred[] = [];
    requests.forEach((request, i) => {
      const key = keys[i]!;
      const slot = `${key}${request.refresh ? ':refresh' : ''}`;
      if (outcomes.has(slot)) return;
      outcomes.set(slot, this.lookupOrSchedule(request, key, stored, toAsk));
    });
    this.askUpstream(toAsk);

    return Promise.all(
      requests.map((request, i) =>
        outcomes.get(`${keys[i]!}${request.refresh ? ':refresh' : ''}`)!.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      ),
    );
  }

  private lookupOrSchedule(request: AnswerRequest, key: string, stored: Map<string, AnswerRecord>, toAsk: Deferred[]): Promise<AnswerResult> {
    if (!request.refresh) {
      const hit = this.cache.get(key) ?? stored.get(key);
      if (hit) {
        this.cache.set(key, hit);
        return Promise.resolve({ record: hit, cached: true });
      }
      const pending = this.cache.pending(key);
      if (pending) return pending.then((record) => ({ record, cached: true }));
    }
    const work = new Promise<AnswerRecord>((resolve, reject) => toAsk.push({ request, key, resolve, reject }));
    this.cache.track(key, work);
    return work.then((record) => ({ record, cached: false }));
  }

  private async findStored(requests: readonly AnswerRequest[]): Promise<Map<string, AnswerRecord>> {
    const bySha = new Map(requests.map((r) => [r.image.id, r.image.sha256]));
    const rows = requests.length === 0 ? [] : await this.answers.findByKeys(requests.map((r) => ({ imageId: r.image.id, prompt: r.prompt, model: this.model })));
    return new Map(rows.map((row) => [cacheKey(bySha.get(row.imageId)!, row.prompt, row.model), row]));
  }

  /** Groups the misses by image so each image is sent once with all its prompts. */
  private askUpstream(work: Deferred[]): void {
    for (const group of groupBy(work, (item) => item.request.image.id).values()) void this.askForImage(group);
  }

  private async askForImage(group: Deferred[]): Promise<void> {
    const image = group[0]!.request.image;
    try {
      const data = await this.blobs.read(image.sha256);
      const results = await this.provider.answer(
        { mimeType: image.mimeType, width: image.width, height: image.height, data },
        group.map((item) => item.request.prompt),
      );
      await Promise.all(group.map((item, i) => this.settle(item, results[i])));
    } catch (error) {
      for (const item of group) item.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async settle(item: Deferred, result: Awaited<ReturnType<ModelProvider['answer']>>[number] | undefined): Promise<void> {
    if (!result) return item.reject(new Error('the model provider returned fewer results than prompts'));
    if (result instanceof Error) return item.reject(result);
    try {
      const { request } = item;
      const record = await this.answers.save({
        imageId: request.image.id,
        kind: request.kind,
        style: request.style,
        prompt: request.prompt,
        model: this.model,
        text: result.text,
        latencyMs: result.latencyMs,
        ...result.usage,
      });
      this.cache.set(item.key, record);
      item.resolve(record);
    } catch (error) {
      item.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
