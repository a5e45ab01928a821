import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/platform/errors.js';
import { normalizePrompt, normalizeQuestion } from '../../src/modules/answers/prompts.js';
import { answerKey } from '../../src/modules/answers/answer.repository.js';

describe('prompt normalization (the cache key)', () => {
  it('applies NFC, trims and collapses inner whitespace, keeping case', () => {
    expect(normalizePrompt('  What   is\tthis?\n ')).toBe('What is this?');
    expect(normalizePrompt('Cafe\u0301?')).toBe('Caf\u00e9?');
    expect(normalizePrompt('ABC abc')).toBe('ABC abc');
    expect(normalizePrompt('a\u00a0\u2003b')).toBe('a b');
  });

  it('gives every text what NFC, trimming and collapsing whitespace give it, plain ASCII included', () => {
    // Its definition, against texts that mix what the shortcut for plain ASCII must and must not take.
    const definition = (text: string) => text.normalize('NFC').trim().replace(/\s+/gu, ' ');
    const pieces = ['a', 'Z', '?', '~', ' ', '  ', '\t', '\n', '\u00a0', 'e\u0301', '\u00e9', '😀', '\u007f', 'x1'];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: 1 + (next() % 8) }, () => pieces[next() % pieces.length]).join('');
      expect(normalizePrompt(text)).toBe(definition(text));
    }
    expect(normalizePrompt('What colour is the car?')).toBe('What colour is the car?');
  });

  it('keys prompts that normalize alike identically', () => {
    expect(answerKey('s', normalizePrompt(' Hi  there'), 'm')).toBe(answerKey('s', normalizePrompt('Hi there '), 'm'));
  });
});

describe('question validation', () => {
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error instanceof GatewayError ? error.code : 'other';
    }
    return 'none';
  };

  it('refuses empty, oversized and control-character questions with BAD_USER_INPUT', () => {
    expect(codeOf(() => normalizeQuestion('   ', 10))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => normalizeQuestion('x'.repeat(11), 10))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => normalizeQuestion('a\u0000b', 10))).toBe('BAD_USER_INPUT');
    expect(normalizeQuestion(' ok? ', 10)).toBe('ok?');
    expect(normalizeQuestion('plain ASCII?', 12)).toBe('plain ASCII?');
    expect(codeOf(() => normalizeQuestion('plain ASCII?', 11))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => normalizeQuestion('tab\there', 100))).toBe('none');
    expect(codeOf(() => normalizeQuestion('bell\u0007', 100))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => normalizeQuestion('del\u007f', 100))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => normalizeQuestion('Why \ud800 here?', 100))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => normalizeQuestion('\udc00', 100))).toBe('BAD_USER_INPUT');
  });

  it('counts characters as code points, so emoji count once', () => {
    expect(normalizeQuestion('😀'.repeat(10), 10)).toBe('😀'.repeat(10));
    expect(codeOf(() => normalizeQuestion('😀'.repeat(11), 10))).toBe('BAD_USER_INPUT');
  });
});
