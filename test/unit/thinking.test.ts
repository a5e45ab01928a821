import { describe, expect, it } from 'vitest';
import { thinkingPlan } from '../../src/model/thinking.js';

describe('thinkingPlan', () => {
  it('turns a hybrid model\'s thinking on only with a budget, kept within its longest chain of thought', () => {
    expect(thinkingPlan('qwen3-vl-plus', null)).toEqual({ params: {}, thinks: false, reserve: 0 });
    expect(thinkingPlan('qwen3-vl-plus', 4000)).toEqual({ params: { enable_thinking: true, thinking_budget: 4000 }, thinks: true, reserve: 4000 });
    expect(thinkingPlan('qwen3-vl-flash', 500_000).params.thinking_budget).toBe(81_920);
  });

  it('has a thinking-only model reserve its family\'s most without a budget', () => {
    expect(thinkingPlan('qvq-max', null)).toEqual({ params: {}, thinks: true, reserve: 16_384 });
    expect(thinkingPlan('qwen3-vl-235b-a22b-thinking', null).reserve).toBe(81_920);
  });

  it('sends nothing to models that do not think, or that it does not know', () => {
    expect(thinkingPlan('qwen-vl-max', 4000)).toEqual({ params: {}, thinks: false, reserve: 0 });
    expect(thinkingPlan('Qwen/Qwen2.5-VL-7B-Instruct', 4000).thinks).toBe(false);
  });
});
