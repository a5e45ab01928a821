/**
 * The most tokens a model may write in one reply, and what it means for
 * packing: a call asks for max_tokens = TOKEN_RESERVE_PER_ANSWER × its
 * prompts, and an endpoint refuses the whole call (400 "Range of max_tokens
 * should be [1, N]") when that passes the model's cap. So a pack holds no
 * more prompts than fit under the cap, and one prompt alone asks for at most
 * the cap.
 */
import OpenAI from 'openai';
import { modelFamily } from './model-family.js';

/** QWEN_MAX_OUTPUT_TOKENS when set, else the model family's cap; null when neither is known. */
export function outputCapOf(model: string, configured: number | null): number | null {
  return configured ?? modelFamily(model).maxOutputTokens;
}

/** Prompts one call may carry: QWEN_MAX_PROMPTS_PER_CALL, fewer when their reserve would pass the cap (at least one). */
export function promptsPerCall(maxPromptsPerCall: number, completionTokensPerAnswer: number, cap: number | null): number {
  if (cap === null) return maxPromptsPerCall;
  return Math.max(1, Math.min(maxPromptsPerCall, Math.floor(cap / completionTokensPerAnswer)));
}

const RANGE = /Range of max_tokens should be \[1, (\d+)\]/i;

/**
 * The cap named by an endpoint's refusal of max_tokens (DashScope's wording,
 * as a 400 or as an error event in a stream), or null for any other error.
 */
export function outputCapRefused(error: unknown): number | null {
  if (!(error instanceof OpenAI.APIError) || (error.status !== undefined && error.status !== 400)) return null;
  const match = RANGE.exec(error.message);
  return match ? Number(match[1]) : null;
}
