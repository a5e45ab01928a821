import { describe, expect, it } from 'vitest';
import type { UpstreamCall } from '../../src/model/provider.js';
import { CutShortCharge } from '../../src/modules/analytics/cut-short-charge.js';
import { ZERO_USAGE } from '../../src/model/usage.js';

// What work cut short owes: the estimated prompt of the request, plus the
// text received so far at one token per 3 bytes, at most max_tokens.

const failed = (prompts: string[] = []): UpstreamCall => ({ model: 'm', prompts, usage: ZERO_USAGE, latencyMs: 5, outcome: 'MODEL_UNAVAILABLE' });

function charge(left?: AbortController, maxCompletionTokens = 100) {
  return new CutShortCharge({ left: left?.signal, promptTokens: (prompts) => 50 + 10 * prompts.length, maxCompletionTokens });
}

describe('CutShortCharge', () => {
  it('owes nothing and leaves reports alone while the work is neither left nor has received text', () => {
    const c = charge(new AbortController());
    expect(c.cutShort).toBe(false);
    expect(c.owed()).toBe(0);
    expect(c.report(failed())).toEqual(failed());
  });

  it('once the callers have left: the prompt of the request, plus the text received, recorded as estimated', () => {
    const left = new AbortController();
    const c = charge(left);
    c.receive('abcdef'); // 2 tokens
    c.receive('g'); // 7 bytes: 3 tokens
    left.abort();
    expect(c.owed(['a', 'b'])).toBe(70 + 3);
    expect(c.report(failed(['a']))).toEqual({ ...failed(['a']), usage: { promptTokens: 60, completionTokens: 3, totalTokens: 63, cachedTokens: 0 }, estimated: true });
  });

  it('a reply that broke off after text had come is cut short too, even with its callers still there', () => {
    const c = charge(new AbortController());
    c.receive('some text');
    expect(c.cutShort).toBe(true);
    expect(c.owed()).toBe(50 + 3);
  });

  it('the completion counted is at most max_tokens: the endpoint writes no more', () => {
    const left = new AbortController();
    const c = charge(left, 4);
    c.receive('x'.repeat(300));
    left.abort();
    expect(c.usage().completionTokens).toBe(4);
  });

  it('a report with the usage the endpoint billed is kept as it is', () => {
    const left = new AbortController();
    const c = charge(left);
    left.abort();
    const billed = { ...failed(), usage: { promptTokens: 9, completionTokens: 1, totalTokens: 10, cachedTokens: 0 } };
    expect(c.report(billed)).toBe(billed);
    const ok = { ...failed(), outcome: 'ok' };
    expect(c.report(ok)).toBe(ok);
  });

  it('settles a failed reservation with what is owed', async () => {
    const left = new AbortController();
    const c = charge(left);
    const settled: number[] = [];
    const reservation = { settle: async (tokens: number) => void settled.push(tokens) };
    await c.settleFailed(reservation);
    left.abort();
    await c.settleFailed(reservation);
    expect(settled).toEqual([0, 50]);
  });
});
