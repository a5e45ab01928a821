import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../src/model/model-call-error.js';
import { outputCapRefused, promptsPerCall } from '../../src/model/output-cap.js';
import { QuotaGuardProvider } from '../../src/model/quota-guard.js';
import { toModelError } from '../../src/model/qwen-errors.js';
import { StubProvider } from '../support/stub-provider.js';

// Billing refusals, stream error events and output caps as the provider
// boundary reads them (issue 23, points 4, 7, 8).

const IMAGE = { mimeType: 'image/png', width: 10, height: 10, data: Buffer.alloc(0) };
const BASE = 'http://endpoint/v1';

const apiError = (status: number | undefined, code: string, message = 'provider says so', type = code) =>
  new OpenAI.APIError(status, { code, type, message, param: null }, undefined, new Headers());

describe('classifying endpoint errors', () => {
  it('reads the four billing states as MODEL_QUOTA_EXHAUSTED with the provider\'s message, whatever their status', () => {
    for (const [status, code] of [[400, 'Arrearage'], [403, 'AllocationQuota.FreeTierOnly'], [429, 'insufficient_quota'], [429, 'PrepaidBillOverdue']] as const) {
      const error = toModelError(apiError(status, code, 'Access denied, please make sure your account is in good standing.'), BASE);
      expect(error.code).toBe('MODEL_QUOTA_EXHAUSTED');
      expect(error.message).toContain('Access denied, please make sure your account is in good standing.');
      expect(error.isRetryable).toBe(false);
    }
    // A plain 429 stays a rate limit.
    expect(toModelError(apiError(429, 'limit_requests'), BASE).code).toBe('MODEL_RATE_LIMITED');
  });

  it('reads an error event in a stream (no status) by its code, not as "HTTP 0"', () => {
    expect(toModelError(apiError(undefined, 'internal_error'), BASE)).toMatchObject({ code: 'MODEL_UNAVAILABLE', isRetryable: true });
    expect(toModelError(apiError(undefined, 'data_inspection_failed'), BASE).code).toBe('MODEL_REJECTED');
    expect(toModelError(apiError(undefined, 'limit_requests'), BASE).code).toBe('MODEL_RATE_LIMITED');
    expect(toModelError(apiError(undefined, 'invalid_parameter_error', 'bad', 'invalid_request_error'), BASE).code).toBe('MODEL_REJECTED');
    expect(toModelError(apiError(undefined, 'insufficient_quota'), BASE).code).toBe('MODEL_QUOTA_EXHAUSTED');
    expect(toModelError(apiError(undefined, 'internal_error'), BASE).message).not.toContain('HTTP 0');
  });

  it('reads the cap out of a max_tokens refusal, as a 400 or a stream event', () => {
    const range = (status: number | undefined) => apiError(status, 'invalid_parameter_error', 'Range of max_tokens should be [1, 8192]', 'invalid_request_error');
    expect(outputCapRefused(range(400))).toBe(8192);
    expect(outputCapRefused(range(undefined))).toBe(8192);
    expect(outputCapRefused(apiError(400, 'invalid_parameter_error', 'Range of input length should be [1, 30720]'))).toBeNull();
    expect(outputCapRefused(new Error('Range of max_tokens should be [1, 8192]'))).toBeNull();
  });

  it('packs no more prompts than their reserve fits under the cap, and at least one', () => {
    expect(promptsPerCall(8, 2000, 8192)).toBe(4);
    expect(promptsPerCall(8, 512, 8192)).toBe(8);
    expect(promptsPerCall(8, 10_000, 8192)).toBe(1);
    expect(promptsPerCall(8, 2000, null)).toBe(8);
  });
});

describe('QuotaGuardProvider', () => {
  const quota = new ModelCallError('MODEL_QUOTA_EXHAUSTED', 'The model provider refuses to bill this account (Arrearage): pay.');

  it('after a refusal, fails fast with retryAfter for the window without calling the endpoint, then calls it again', async () => {
    let now = 1_000_000;
    let answerQuota = true;
    const inner = new StubProvider((prompt) => (answerQuota ? quota : `answer to ${prompt}`));
    const heard: number[] = [];
    const guard = new QuotaGuardProvider(inner, { backoffSeconds: 60, now: () => now, onExhausted: (_, untilMs) => heard.push(untilMs) });

    const [first] = await guard.answer(IMAGE, ['q']);
    expect(first).toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED', retryAfter: 60 });
    expect((first as Error).message).toContain('(Arrearage): pay.');
    expect(heard).toEqual([1_060_000]);

    now += 45_000;
    answerQuota = false;
    const [fast] = await guard.answer(IMAGE, ['q']);
    expect(fast).toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED', retryAfter: 15 });
    await expect(guard.chat({ images: [], turns: [{ role: 'user', text: 'hi' }] })).rejects.toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED', retryAfter: 15 });
    expect(inner.calls).toHaveLength(1);
    expect(inner.chats).toHaveLength(0);

    now += 15_000;
    const [answered] = await guard.answer(IMAGE, ['q']);
    expect(answered).toMatchObject({ text: 'answer to q' });
    expect(inner.calls).toHaveLength(2);
    expect(heard).toHaveLength(1);
  });

  it('trips on a chat refusal too, and lets other failures through untouched', async () => {
    const inner = new StubProvider();
    const guard = new QuotaGuardProvider(inner, { backoffSeconds: 60 });
    const down = new ModelCallError('MODEL_UNAVAILABLE', 'down');
    inner.failNext(down);
    await expect(guard.answer(IMAGE, ['q'])).rejects.toBe(down);
    inner.failNext(quota);
    await expect(guard.chat({ images: [], turns: [{ role: 'user', text: 'hi' }] })).rejects.toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED', retryAfter: 60 });
    const [fast] = await guard.answer(IMAGE, ['q']);
    expect(fast).toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED' });
    expect(inner.calls).toHaveLength(1);
  });
});
