/**
 * Streams of answers shared across replicas (REDIS_URL): the replica that
 * holds a key's claim makes the upstream call and relays what it streams;
 * a replica whose subscribers ask for the same key meanwhile follows that
 * relay instead of calling again. Within one process AnswerStreams'
 * broadcasts do this, so the embedded default has no relay.
 */
export interface StreamRelay {
  /** Starts relaying this replica's stream of `key`, whose claim it holds. */
  publish(key: string): RelayedStream;
  /**
   * What the key's claim holder does, from its first delta when it streams:
   * deltas, then an end. Ends with `released` when the claim was let go
   * without a stream's end (its holder was an ask, or died): the store then
   * says what became of it. Stops early when `signal` fires.
   */
  follow(key: string, signal: AbortSignal): AsyncGenerator<RelayEvent>;
}

export type RelayEvent =
  | { delta: string }
  /** The answer is stored, or the claim was released: read the store. */
  | { end: 'stored' | 'released' }
  | { end: 'failed'; code: string; message: string };

export interface RelayedStream {
  write(delta: string): void;
  /** The answer is stored. */
  finish(): void;
  fail(error: Error & { code?: string }): void;
  /** Resolves once no other replica follows the stream (at once when none does): only then may the call be cancelled. */
  unfollowed(): Promise<void>;
}
