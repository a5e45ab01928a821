/**
 * POST /v1/embeddings as DashScope's OpenAI-compatible mode answers it for
 * text-embedding-v4: `{data: [{embedding, index, object: "embedding"}],
 * model, object: "list", usage: {prompt_tokens, total_tokens}, id}`.
 *
 * The vectors are deterministic and mean something a test can reason about:
 * a bag of the text's content words (lower-cased, without the little words
 * that paraphrases shuffle: "what is the colour of" / "what colour is"),
 * each hashed to a signed dimension, normalized. Two wordings of one question
 * with the same content words have cosine 1; "car" against "bus" far less.
 */
import { createHash } from 'node:crypto';
import { newId } from './wire.js';

export const EMBEDDING_DIMENSIONS = 256;

const FUNCTION_WORDS = new Set(['a', 'an', 'the', 'is', 'are', 'of', 'in', 'on', 'this', 'that', 'what', 'which', 'please', 'tell', 'me', 'does', 'do', 'there', 'picture', 'image', 'photo']);

const wordsOf = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  const content = wordsOf(text).filter((word) => !FUNCTION_WORDS.has(word));
  for (const word of content.length > 0 ? content : wordsOf(text)) {
    const digest = createHash('sha256').update(word).digest();
    vector[digest.readUInt16BE(0) % EMBEDDING_DIMENSIONS]! += digest[2]! & 1 ? 1 : -1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/** The reply body for these inputs; tokens: one per word, at least one per input. */
export function embeddingsBody(model: string, inputs: readonly string[]) {
  const tokens = inputs.reduce((sum, text) => sum + Math.max(1, wordsOf(text).length), 0);
  return {
    data: inputs.map((text, index) => ({ embedding: fakeEmbedding(text), index, object: 'embedding' })),
    model,
    object: 'list',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    id: newId('emb'),
  };
}
