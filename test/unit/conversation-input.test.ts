import { describe, expect, it } from 'vitest';
import { conversationImageIds, conversationTitle, messageText } from '../../src/modules/conversations/conversation-input.js';
import { GatewayError } from '../../src/platform/errors.js';

// What startConversation and sendMessage accept, before anything is stored or sent.

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('conversation input', () => {
  it('keeps a message’s line breaks, trims it and normalizes it to NFC', () => {
    expect(messageText('  e\u0301\n- one\n- two\t \n', 100)).toBe('é\n- one\n- two');
  });

  it('refuses empty, too long and non-text messages with BAD_USER_INPUT', () => {
    expect(refusal(() => messageText(' \n ', 10))).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/empty/) });
    // Characters are code points: five emoji are five characters.
    expect(messageText('😀'.repeat(5), 5)).toBe('😀'.repeat(5));
    expect(refusal(() => messageText('😀'.repeat(6), 5)).message).toMatch(/6 characters long; the limit is 5 \(MAX_QUESTION_LENGTH\)/);
    expect(refusal(() => messageText('a\u0000b', 10)).message).toMatch(/control characters/);
    expect(refusal(() => messageText('a\uD800b', 10)).message).toMatch(/lone surrogate/);
  });

  it('makes a blank title no title, and bounds it', () => {
    expect(conversationTitle(undefined)).toBeNull();
    expect(conversationTitle('   ')).toBeNull();
    expect(conversationTitle(' Kitchen ')).toBe('Kitchen');
    expect(refusal(() => conversationTitle('x'.repeat(201))).code).toBe('BAD_USER_INPUT');
  });

  it('takes 1 to MAX_IMAGES_PER_QUESTION images, each once, in the order given', () => {
    expect(conversationImageIds(['b', 'a', 'b'], 2)).toEqual(['b', 'a']);
    expect(refusal(() => conversationImageIds([], 2)).message).toMatch(/at least one image/);
    expect(refusal(() => conversationImageIds(['a', 'b', 'c'], 2)).message).toMatch(/at most 2 images \(MAX_IMAGES_PER_QUESTION\); 3/);
  });
});
