import { describe, expect, it } from 'vitest';
import { ConversationContext, messageTokens, type ContextMessage } from '../../src/modules/conversations/conversation-context.js';

// Which turns of a conversation go upstream within CONVERSATION_MAX_CONTEXT_TOKENS.

const user = (text: string): ContextMessage => ({ role: 'USER', text });
const assistant = (text: string): ContextMessage => ({ role: 'ASSISTANT', text });

/** 30 ASCII bytes: 10 text tokens + 5 for the role markers. */
const words = (tag: string) => tag.padEnd(30, '.');
const PER_MESSAGE = 15;
/** 280×280 is sent as is: 10·10 patches + 2 markers. */
const IMAGE = { width: 280, height: 280 };
const IMAGE_TOKENS = 102;

/** Exchanges 1..n after the first question, as stored (oldest first). */
function conversation(n: number): ContextMessage[] {
  const messages = [user(words('q0')), assistant(words('a0'))];
  for (let i = 1; i <= n; i++) messages.push(user(words(`q${i}`)), assistant(words(`a${i}`)));
  return messages;
}

/** Plans a new message after `stored`, the way the service reads them: newest first, the first question apart. */
function plan(maxTokens: number, stored: ContextMessage[], latest = user(words('new'))) {
  const context = new ConversationContext({ maxPixels: 1_003_520, maxTokens });
  const [first, ...rest] = stored;
  return context.plan([IMAGE], latest, first ?? null, rest.reverse());
}

const texts = (turns: Array<{ text: string }>) => turns.map((turn) => turn.text.replace(/\.+$/, ''));

describe('conversation context', () => {
  it('counts an image as sent and a message by its bytes plus its role markers', async () => {
    expect(messageTokens(user(words('x')))).toBe(PER_MESSAGE);
    const first = await plan(10_000, []);
    expect(first).toEqual({ turns: [{ role: 'user', text: words('new') }], tokens: IMAGE_TOKENS + PER_MESSAGE });
    // Larger than QWEN_MAX_PIXELS: counted at the frame the model sees (sent at 1000×1000, seen at 980×980), not the original.
    const context = new ConversationContext({ maxPixels: 1_000_000, maxTokens: 100_000 });
    const big = await context.plan([{ width: 4000, height: 4000 }], user(''), null, []);
    expect(big.tokens).toBe(35 ** 2 + 2 + 5);
  });

  it('sends everything, in order and with roles, when it fits', async () => {
    const result = await plan(10_000, conversation(2));
    expect(texts(result.turns)).toEqual(['q0', 'a0', 'q1', 'a1', 'q2', 'a2', 'new']);
    expect(result.turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(result.tokens).toBe(IMAGE_TOKENS + 7 * PER_MESSAGE);
  });

  it('keeps the images, the first question and the newest exchanges that fit, and drops the middle', async () => {
    // Room for the image, the first question, the new message and two whole exchanges (one token short of a third).
    const budget = IMAGE_TOKENS + 2 * PER_MESSAGE + 4 * PER_MESSAGE + 2 * PER_MESSAGE - 1;
    const result = await plan(budget, conversation(5));
    expect(texts(result.turns)).toEqual(['q0', 'q4', 'a4', 'q5', 'a5', 'new']);
    expect(result.tokens).toBe(IMAGE_TOKENS + 6 * PER_MESSAGE);
  });

  it('never keeps an older exchange once a newer one did not fit', async () => {
    const stored = [user(words('q0')), assistant(words('a0')), user('q1'), assistant('a1'), user(words('q2')), assistant('x'.repeat(300))];
    // q2/a2 is too large; q1/a1 alone would fit, but would leave a gap in what the model sees.
    const result = await plan(IMAGE_TOKENS + 3 * PER_MESSAGE + 20, stored);
    expect(texts(result.turns)).toEqual(['q0', 'new']);
  });

  it('adds the first reply last, when the rest is in and it still fits', async () => {
    const all = await plan(IMAGE_TOKENS + 5 * PER_MESSAGE, conversation(1));
    expect(texts(all.turns)).toEqual(['q0', 'a0', 'q1', 'a1', 'new']);
    const noFirstReply = await plan(IMAGE_TOKENS + 5 * PER_MESSAGE - 1, conversation(1));
    expect(texts(noFirstReply.turns)).toEqual(['q0', 'q1', 'a1', 'new']);
  });

  it('sends the images, the first question and the new message even when they alone pass the budget', async () => {
    const result = await plan(100, conversation(3));
    expect(texts(result.turns)).toEqual(['q0', 'new']);
    expect(result.tokens).toBe(IMAGE_TOKENS + 2 * PER_MESSAGE);
  });

  it('reads the history only as far as it needs', async () => {
    let read = 0;
    async function* newestFirst() {
      for (let i = 100; i >= 1; i--) {
        read++;
        yield assistant(words(`a${i}`));
        read++;
        yield user(words(`q${i}`));
      }
    }
    const context = new ConversationContext({ maxPixels: 1_003_520, maxTokens: IMAGE_TOKENS + 2 * PER_MESSAGE + 2 * PER_MESSAGE });
    const result = await context.plan([IMAGE], user(words('new')), user(words('q0')), newestFirst());
    expect(texts(result.turns)).toEqual(['q0', 'q100', 'a100', 'new']);
    expect(read).toBe(4);
  });
});
