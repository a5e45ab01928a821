import { Arg, Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';

/**
 * How a result was served from the cache (issue 26): the exact key (image
 * bytes, normalized prompt, model), a near-duplicate image's answer to the
 * same prompt (CACHE_SIMILAR_IMAGES), or a similar question's answer about
 * the same image (CACHE_SIMILAR_PROMPTS).
 */
export const CacheMatchKind = { EXACT: 'EXACT', SIMILAR_IMAGE: 'SIMILAR_IMAGE', SIMILAR_PROMPT: 'SIMILAR_PROMPT' } as const;
export type CacheMatchKind = keyof typeof CacheMatchKind;

registerEnumType(CacheMatchKind, {
  name: 'CacheMatchKind',
  description: 'EXACT: the same image bytes, prompt and model. SIMILAR_IMAGE: a near-duplicate image, same prompt. SIMILAR_PROMPT: the same image, a question within SIMILAR_PROMPT_THRESHOLD.',
});

/** Which stored answers a request may be served from. */
export const CacheMatchMode = { ANY: 'ANY', EXACT_ONLY: 'EXACT_ONLY' } as const;
export type CacheMatchMode = keyof typeof CacheMatchMode;

registerEnumType(CacheMatchMode, {
  name: 'CacheMatchMode',
  description: 'ANY: exact matches, and near-duplicate images and similar questions where the gateway reuses them (CACHE_SIMILAR_IMAGES, CACHE_SIMILAR_PROMPTS). EXACT_ONLY: only the same image bytes, prompt and model; otherwise the model is asked.',
});

/** The `match` argument of every field and mutation that asks the model about one image. */
export const matchArg = () =>
  Arg('match', () => CacheMatchMode, { nullable: true, defaultValue: CacheMatchMode.ANY, description: 'EXACT_ONLY: serve only an exact cache match (no near-duplicate image, no similar question).' });

@ObjectType({ description: 'How a result was served from the cache; null when the model made it for this request.' })
export class CacheMatch {
  @Field(() => CacheMatchKind)
  kind!: CacheMatchKind;

  @Field(() => ID, { nullable: true, description: "The image whose stored answer served it: this image for EXACT and SIMILAR_PROMPT; null when it is another tenant's (CACHE_SCOPE=global)." })
  sourceImageId!: string | null;

  @Field(() => String, { description: 'The stored prompt it was served from: for SIMILAR_PROMPT, the other wording of the question.' })
  sourcePrompt!: string;

  @Field(() => Float, { description: 'EXACT: 1. SIMILAR_PROMPT: cosine similarity of the questions\' embeddings. SIMILAR_IMAGE: 1 − differing perceptual hash bits / 64.' })
  similarity!: number;
}
