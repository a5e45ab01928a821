/**
 * An async iterator fed from outside: values pushed before they are read
 * wait in order; `end()` finishes it after them. `return()` (the reader
 * left: a graphql-ws `complete`, a closed socket) calls `onLeave` at once,
 * even while a read is waiting, which an async generator would only notice
 * at its next `yield`.
 */
export class PushStream<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private reader: ((step: IteratorResult<T>) => void) | null = null;
  private closed = false;

  constructor(private readonly onLeave: () => void) {}

  push(value: T): void {
    if (this.closed) return;
    if (this.reader) this.hand({ done: false, value });
    else this.buffered.push(value);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reader) this.hand({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ done: false, value: this.buffered.shift()! });
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.reader = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    const left = !this.closed;
    this.buffered.length = 0;
    this.end();
    if (left) this.onLeave();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Resolves the waiting read. */
  private hand(step: IteratorResult<T>): void {
    const reader = this.reader!;
    this.reader = null;
    reader(step);
  }
}
