import OpenAI from 'openai';
import { toModelError } from './qwen-errors.js';
import { upstreamFetch } from './upstream-fetch.js';
import type { ModelUsage } from './usage.js';
import { chunk } from '../platform/collections.js';
import { badResponse } from './model-call-error.js';

/**
 * Text embeddings (CACHE_SIMILAR_PROMPTS): one vector per text, from the
 * endpoint's OpenAI-compatible `POST /embeddings` (DashScope's
 * text-embedding-v4, vLLM, Ollama). Vendor-neutral above this boundary, like
 * ModelProvider.
 */
export interface TextEmbedder {
  readonly model: string;
  /** Vectors in the order of `texts`, and what the endpoint billed for them all. Throws a ModelCallError. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Embeddings>;
}

export interface Embeddings {
  vectors: Float32Array[];
  usage: ModelUsage;
  latencyMs: number;
}

export interface EmbedderOptions {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
}

/** DashScope's text-embedding-v3/v4 take at most 10 texts a request. */
const TEXTS_PER_REQUEST = 10;

export class OpenAiEmbedder implements TextEmbedder {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: EmbedderOptions) {
    this.model = options.model;
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey ?? 'no-key',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      fetch: upstreamFetch(options.baseUrl, undefined, options.fetch),
    });
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Embeddings> {
    const started = performance.now();
    const vectors: Float32Array[] = [];
    let promptTokens = 0;
    let totalTokens = 0;
    for (const group of chunk(texts, TEXTS_PER_REQUEST)) {
      let reply: OpenAI.CreateEmbeddingResponse;
      try {
        reply = await this.client.embeddings.create({ model: this.model, input: group, encoding_format: 'float' }, { signal });
      } catch (error) {
        throw toModelError(error, this.options.baseUrl);
      }
      const ordered = [...reply.data].sort((a, b) => a.index - b.index);
      if (ordered.length !== group.length || ordered.some((item) => !Array.isArray(item.embedding) || item.embedding.length === 0)) {
        throw badResponse(`${ordered.length} embeddings for ${group.length} texts`);
      }
      vectors.push(...ordered.map((item) => Float32Array.from(item.embedding)));
      promptTokens += reply.usage?.prompt_tokens ?? 0;
      totalTokens += reply.usage?.total_tokens ?? reply.usage?.prompt_tokens ?? 0;
    }
    return { vectors, usage: { promptTokens, completionTokens: 0, totalTokens, cachedTokens: 0 }, latencyMs: Math.round(performance.now() - started) };
  }
}
