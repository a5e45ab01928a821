import type { TextEmbedder } from '../../model/embedder.js';
import { wasCut } from '../../model/finish-reason.js';
import { ModelCallError } from '../../model/model-call-error.js';
import { ZERO_USAGE } from '../../model/usage.js';
import type { Logger } from '../../platform/logger.js';
import type { Payer, UsageLedger } from '../analytics/usage-ledger.js';
import type { AnswerRecord, SimilarAnswerStore } from './answer.repository.js';
import type { AnswerRequest } from './answer-requests.js';
import type { CacheMatch } from './cache-match.type.js';

/**
 * Answers reused beyond the exact cache key (issue 26), both off by default:
 *
 * - CACHE_SIMILAR_IMAGES: the same prompt and model about a near-duplicate
 *   image in the cache scope (modules/near-duplicates: its hash within
 *   NEAR_DUPLICATE_DISTANCE *and* its grid within the limits that keep
 *   screenshots with other text apart). Only images whose fingerprint is
 *   already stored are compared; right after an upload, while it is being
 *   computed, the model is asked. A detection is reused only between images
 *   of the same width and height: its boxes are in the image's pixels.
 * - CACHE_SIMILAR_PROMPTS: a question about the same image whose embedding
 *   (QWEN_EMBEDDING_MODEL) is within SIMILAR_PROMPT_THRESHOLD cosine of a
 *   stored question's. No vector database: an image has few questions, so
 *   its stored ones are read and compared in memory, one indexed query
 *   (imageId, kind) per question asked. Each distinct prompt text is
 *   embedded once: a stored row with the same text lends its vector.
 *
 * Never for a refresh or a request asking for exact matches only.
 */
export interface SimilarSettings {
  images: boolean;
  prompts: { embeddingModel: string; threshold: number } | null;
}

/** A prompt's embedding as stored with its question. */
export interface PromptEmbedding {
  embedding: Uint8Array<ArrayBuffer>;
  embeddingModel: string;
}

/** A stored answer that serves the request, and how it matched. */
export interface SimilarHit {
  source: AnswerRecord;
  match: CacheMatch;
}

/** What the lookup found for one request: a hit, and (questions, CACHE_SIMILAR_PROMPTS) the prompt's embedding to store with its answer. */
export interface SimilarLookup {
  hit?: SimilarHit;
  embedding?: PromptEmbedding;
}

export interface SimilarQuery {
  request: AnswerRequest;
  /** The model that answers it (the cache key's). */
  model: string;
  /** Whose answers may serve it: a tenant's, or every tenant's (null, CACHE_SCOPE=global). */
  scope: string | null;
}

/** Finds a tenant's near-duplicates with a stored fingerprint (NearDuplicateService). */
export interface NearDuplicateFinder {
  storedNearDuplicates(tenant: string, imageId: string, scope: string | null, first: number): Promise<Array<{ id: string; bits: number }>>;
}

/** Near-duplicates whose stored answers are looked at, nearest first. */
const NEAREST_IMAGES = 8;
const HASH_BITS = 64;

const vectorBytes = (vector: Float32Array): Uint8Array<ArrayBuffer> => new Uint8Array(Float32Array.from(vector).buffer);
const vectorOf = (bytes: Uint8Array) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);

function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** What SimilarAnswers is made of. */
export interface SimilarAnswersParts {
  store: SimilarAnswerStore;
  nearDuplicates: NearDuplicateFinder;
  settings: SimilarSettings;
  logger: Logger;
  /** Needed when settings.prompts is set. */
  embedder?: TextEmbedder;
  /** Told of every embedding call, for the payer's usage. */
  ledger?: UsageLedger;
}

export class SimilarAnswers {
  private readonly store: SimilarAnswerStore;
  private readonly nearDuplicates: NearDuplicateFinder;
  private readonly settings: SimilarSettings;
  private readonly logger: Logger;
  private readonly embedder?: TextEmbedder;
  private readonly ledger?: UsageLedger;

  constructor(parts: SimilarAnswersParts) {
    ({ store: this.store, nearDuplicates: this.nearDuplicates, settings: this.settings, logger: this.logger, embedder: this.embedder, ledger: this.ledger } = parts);
  }

  /** Whether anything is ever looked up beyond the exact key. */
  get enabled(): boolean {
    return this.settings.images || this.settings.prompts !== null;
  }

  /**
   * One lookup per query, in order; `payer` pays for the embeddings asked
   * for. Never throws: a lookup that fails (the store, say) costs the reuse,
   * never the answer, which the model then makes.
   */
  async lookup(queries: readonly SimilarQuery[], payer: Payer, signal?: AbortSignal): Promise<SimilarLookup[]> {
    try {
      return await this.find(queries, payer, signal);
    } catch (error) {
      this.logger.warn({ err: error, requests: queries.length }, 'looking for similar stored answers failed: asking the model');
      return queries.map(() => ({}));
    }
  }

  private async find(queries: readonly SimilarQuery[], payer: Payer, signal?: AbortSignal): Promise<SimilarLookup[]> {
    const embeddings = await this.embeddingsOf(queries, payer, signal);
    return Promise.all(
      queries.map(async (query) => {
        const embedding = embeddings.get(query.request.prompt);
        const found = embedding ? { embedding } : {};
        if (query.request.refresh || query.request.exactOnly) return found;
        const hit = (await this.similarImage(query)) ?? (embedding && (await this.similarPrompt(query, embedding)));
        return hit ? { ...found, hit } : found;
      }),
    );
  }

  private async similarImage({ request, model, scope }: SimilarQuery): Promise<SimilarHit | undefined> {
    if (!this.settings.images) return undefined;
    const { image } = request;
    const nearest = await this.nearDuplicates.storedNearDuplicates(image.tenant, image.id, scope, NEAREST_IMAGES);
    if (nearest.length === 0) return undefined;
    const rows = await this.store.answersOfImages(nearest.map(({ id }) => id), request.prompt, model);
    const sameFrame = (row: (typeof rows)[number]) => !request.structured?.sameSizeImagesOnly || (row.image.width === image.width && row.image.height === image.height);
    for (const { id, bits } of nearest) {
      const source = rows.find((row) => row.imageId === id && !wasCut(row) && sameFrame(row));
      if (source) return { source, match: { kind: 'SIMILAR_IMAGE', sourceImageId: source.tenant === image.tenant ? id : null, sourcePrompt: source.prompt, similarity: 1 - bits / HASH_BITS } };
    }
    return undefined;
  }

  private async similarPrompt({ request, model }: SimilarQuery, embedding: PromptEmbedding): Promise<SimilarHit | undefined> {
    const own = vectorOf(embedding.embedding);
    let best: SimilarHit | undefined;
    for (const row of await this.store.embeddedQuestions(request.image.id, model, embedding.embeddingModel)) {
      if (row.prompt === request.prompt || wasCut(row) || !row.embedding) continue;
      const similarity = cosine(own, vectorOf(row.embedding));
      if (similarity >= this.settings.prompts!.threshold && similarity > (best?.match.similarity ?? -1)) {
        best = { source: row, match: { kind: 'SIMILAR_PROMPT', sourceImageId: row.imageId, sourcePrompt: row.prompt, similarity } };
      }
    }
    return best;
  }

  /**
   * The embeddings of the questions' prompts: stored ones reused, the rest
   * asked in one request (its tokens recorded as an EMBEDDING call). A failure
   * is logged and leaves the prompts without one: they are asked of the model.
   */
  private async embeddingsOf(queries: readonly SimilarQuery[], payer: Payer, signal?: AbortSignal): Promise<Map<string, PromptEmbedding>> {
    const found = new Map<string, PromptEmbedding>();
    const settings = this.settings.prompts;
    const questions = queries.filter((query) => query.request.kind === 'QUESTION');
    if (!settings || !this.embedder || questions.length === 0) return found;
    const { embeddingModel } = settings;
    const prompts = [...new Set(questions.map((query) => query.request.prompt))];
    const stored = await this.store.storedEmbeddings(prompts, embeddingModel, questions[0]!.scope);
    for (const [prompt, embedding] of stored) found.set(prompt, { embedding, embeddingModel });
    const missing = prompts.filter((prompt) => !stored.has(prompt));
    if (missing.length === 0) return found;
    const started = performance.now();
    try {
      const { vectors, usage, latencyMs } = await this.embedder.embed(missing, signal);
      this.ledger?.call(payer, EMBEDDING_KIND, { model: embeddingModel, prompts: missing, usage, latencyMs, outcome: 'ok' });
      missing.forEach((prompt, i) => found.set(prompt, { embedding: vectorBytes(vectors[i]!), embeddingModel }));
    } catch (error) {
      // Recorded like a failed chat call: a call billed nothing, with the code it failed with.
      const outcome = error instanceof ModelCallError ? error.code : 'MODEL_UNAVAILABLE';
      this.ledger?.call(payer, EMBEDDING_KIND, { model: embeddingModel, prompts: missing, usage: ZERO_USAGE, latencyMs: Math.round(performance.now() - started), outcome });
      this.logger.warn({ err: error, prompts: missing.length }, 'embeddings failed: these questions are asked of the model without looking for similar ones');
    }
    return found;
  }
}

/** The usage kind of an embeddings request (Query.usage groupBy KIND). */
export const EMBEDDING_KIND = 'EMBEDDING';
