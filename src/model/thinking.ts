/**
 * Thinking models (model-family.ts): what a request to one says about
 * reasoning, whether it must be streamed, and how many reasoning tokens it
 * may bill. Reasoning is real spend — DashScope counts it in
 * `completion_tokens` (`completion_tokens_details.reasoning_tokens`) on top
 * of the answer that `max_tokens` bounds — so the token budget reserves it too.
 */
import OpenAI from 'openai';
import { modelFamily } from './model-family.js';

export interface ThinkingPlan {
  /** DashScope's parameters, sent only to a family that knows them (other servers might refuse them). */
  params: { enable_thinking?: true; thinking_budget?: number };
  /** The model reasons: ask streamed (a thinking model refuses non-streaming calls) and reserve `reserve` tokens. */
  thinks: boolean;
  /** Reasoning tokens one request may bill: the budget asked for, or the family's most. */
  reserve: number;
}

const NO_THINKING: ThinkingPlan = { params: {}, thinks: false, reserve: 0 };

/**
 * `budget` is QWEN_THINKING_BUDGET (null: unset). Hybrid models think only
 * when it is set; thinking-only models always do. The budget is kept within
 * the family's longest chain of thought, which DashScope would refuse to pass.
 */
export function thinkingPlan(model: string, budget: number | null): ThinkingPlan {
  const family = modelFamily(model);
  if (family.thinking === 'none' || (family.thinking === 'hybrid' && budget === null)) return NO_THINKING;
  if (budget === null) return { params: {}, thinks: true, reserve: family.maxThinkingTokens };
  const thinkingBudget = Math.min(budget, family.maxThinkingTokens);
  return { params: { enable_thinking: true, thinking_budget: thinkingBudget }, thinks: true, reserve: thinkingBudget };
}

/**
 * DashScope's 400s to a non-streaming request for a model that thinks
 * ("parameter.enable_thinking must be set to false for non-streaming calls",
 * "parameter.enable_thinking only support stream call", and QVQ's "This
 * model only support stream mode"): asking again streamed will do.
 */
const STREAM_ONLY = /enable_thinking (must be set to false for non-streaming|only support stream)|only supports? stream mode/i;

export function refusesNonStreaming(error: unknown): boolean {
  return error instanceof OpenAI.APIError && error.status === 400 && STREAM_ONLY.test(error.message);
}
