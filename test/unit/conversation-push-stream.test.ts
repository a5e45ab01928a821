import { describe, expect, it, vi } from 'vitest';
import { PushStream } from '../../src/modules/conversations/push-stream.js';

// The iterator messageStream hands graphql-ws: values pushed from the model call, read at the socket's pace.

describe('PushStream', () => {
  it('gives pushed values in order, to a reader waiting or not, then ends', async () => {
    const stream = new PushStream<string>(() => {});
    stream.push('a');
    const waiting = (async () => {
      const seen: string[] = [];
      for await (const value of stream) seen.push(value);
      return seen;
    })();
    stream.push('b');
    stream.end();
    stream.push('ignored');
    expect(await waiting).toEqual(['a', 'b']);
  });

  it('tells the producer at once when the reader leaves, even during a waiting read', async () => {
    const onLeave = vi.fn();
    const stream = new PushStream<string>(onLeave);
    const read = stream.next();
    await stream.return();
    expect(onLeave).toHaveBeenCalledTimes(1);
    await expect(read).resolves.toEqual({ done: true, value: undefined });
    // Leaving after the end is not leaving: the producer finished.
    const ended = new PushStream<string>(onLeave);
    ended.end();
    await ended.return();
    expect(onLeave).toHaveBeenCalledTimes(1);
  });
});
