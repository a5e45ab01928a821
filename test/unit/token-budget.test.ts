import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/platform/errors.js';
import { imageTokens, TokenEstimate } from '../../src/model/token-estimate.js';
import type { Caller } from '../../src/modules/access/caller.js';
import { UsageLimits } from '../../src/modules/access/usage-limits.js';

// The two halves of a token budget that holds under concurrency: the estimate
// reserved before an upstream call, and the reservation's accounting.

describe('the token estimate of one upstream call', () => {
  it('counts image tokens on the frame the model sees (image-frame.test.ts has the cases)', () => {
    expect(imageTokens(280, 280, { maxPixels: 1_003_520 })).toBe(102);
    expect(imageTokens(30, 29, { maxPixels: 1_003_520 })).toBe(3 * 2 + 2);
  });

  it('adds the text by length and a completion reserve per answer, per call as the provider packs them', () => {
    const estimate = new TokenEstimate({ maxPixels: 1_003_520, promptsPerCall: 2, completionTokensPerAnswer: 100 });
    const one = estimate.forCall({ width: 280, height: 280 }, ['What is it?']);
    expect(one).toBeGreaterThanOrEqual(102 + 4 + 100);
    expect(estimate.forCall({ width: 280, height: 280 }, ['x'.repeat(3000)])).toBeGreaterThanOrEqual(one + 990);
    // Two prompts in one packed call: the image once, two answers.
    const packed = estimate.forCall({ width: 280, height: 280 }, ['What is it?', 'Where?']);
    expect(packed).toBeGreaterThan(one + 100);
    expect(packed).toBeLessThan(2 * one);
    expect(estimate.calls(['a', 'b', 'c'])).toEqual([['a', 'b'], ['c']]);
  });
});

describe('a token budget', () => {
  const caller = (tokensPerDay: number): Caller => ({ tenant: 't', apiKeyId: `key-${tokensPerDay}-${Math.random()}`, requestsPerMinute: 100, tokensPerDay, admin: false });

  it('lets concurrent reservations together take no more than the budget', async () => {
    const budget = new UsageLimits().budgetFor(caller(1000));
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => budget.reserve(300)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refusal = outcomes.find((o) => o.status === 'rejected')!.reason as GatewayError;
    expect(refusal.code).toBe('RATE_LIMITED');
    expect(refusal.extensions.retryAfter).toBeGreaterThan(0);
  });

  it('takes nothing for a refused reservation, gives back what a call did not bill, and releases a failed call', async () => {
    const budget = new UsageLimits().budgetFor(caller(1000));
    const first = await budget.reserve(600);
    await expect(budget.reserve(500)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await first.settle(200); // billed less than reserved: 800 left
    const second = await budget.reserve(800);
    await second.settle(0); // failed: nothing billed
    const third = await budget.reserve(800);
    await third.settle(900); // billed more than reserved: counted as billed, 0 left
    await expect(budget.reserve(1)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('says so when one call needs more than the whole budget', async () => {
    const budget = new UsageLimits().budgetFor(caller(100));
    await expect(budget.reserve(150)).rejects.toThrow(/more than this key's whole budget of 100/);
  });
});
