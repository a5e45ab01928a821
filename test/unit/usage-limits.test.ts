import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/modules/access/caller.js';
import { UsageLimits } from '../../src/modules/access/usage-limits.js';
import { GatewayError } from '../../src/platform/errors.js';

// The per-minute request limit; the per-day token reservations are in token-budget.test.ts.

let keys = 0;
const caller = (requestsPerMinute: number, tenant = 't'): Caller => ({ tenant, apiKeyId: `key-${++keys}`, requestsPerMinute, tokensPerDay: 1000, admin: false });

async function refusal(work: Promise<unknown>): Promise<GatewayError> {
  const error = await work.then(() => null, (e: unknown) => e);
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe('the per-minute request limit', () => {
  it('admits a key’s requests up to its limit, then refuses with RATE_LIMITED and when to retry', async () => {
    const limits = new UsageLimits();
    const chatty = caller(3);
    for (let i = 0; i < 3; i++) await limits.admitRequest(chatty);
    const refused = await refusal(limits.admitRequest(chatty));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.message).toMatch(/^This key may make 3 requests per minute\. Retry in \d+ s\.$/);
    expect(refused.extensions.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.extensions.retryAfter).toBeLessThanOrEqual(60);
  });

  it('counts each key apart, even keys with the same limit', async () => {
    const limits = new UsageLimits();
    const [one, two] = [caller(1), caller(1)];
    await limits.admitRequest(one);
    await limits.admitRequest(two);
    expect((await refusal(limits.admitRequest(one))).code).toBe('RATE_LIMITED');
  });

  it('counts the open gateway per tenant', async () => {
    const limits = new UsageLimits();
    const open = (tenant: string): Caller => ({ ...caller(1, tenant), apiKeyId: null });
    await limits.admitRequest(open('default'));
    await limits.admitRequest(open('other'));
    expect((await refusal(limits.admitRequest(open('default')))).code).toBe('RATE_LIMITED');
  });

  it('keeps requests and tokens apart: a key out of requests still has its token budget', async () => {
    const limits = new UsageLimits();
    const key = { ...caller(1), tokensPerDay: 1 };
    await limits.admitRequest(key);
    await (await limits.budgetFor(key).reserve(1)).settle(1);
    expect((await refusal(limits.admitRequest(key))).message).toMatch(/requests per minute/);
  });
});
