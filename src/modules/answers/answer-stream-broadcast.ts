import { EventEmitter, on } from 'node:events';
import { closeEarly } from '../../platform/close-early.js';
import { SharedAbort } from '../../platform/shared-abort.js';
import type { AnswerRecord } from './answer.repository.js';
import type { AnswerResult } from './answer-requests.js';

/**
 * One chunk of a streamed answer as a subscriber receives it: text as it is
 * written, then a last chunk carrying the stored answer; or, when the
 * answer could not be produced, the error (the last chunk then too).
 */
export type AnswerStreamChunk =
  | { delta: string; answer: null; error?: undefined }
  | { delta: string; answer: AnswerResult; error?: undefined }
  | { delta: ''; answer: null; error: Error };

type Happening = { delta: string } | { record: AnswerRecord } | { error: Error };

const EVENT = 'chunk';

/**
 * One upstream streamed answer and everyone listening to it (single flight
 * for streams): a listener that joins late first gets the text produced so
 * far as one delta, then every later one. `abort` fires when every listener
 * has gone (SharedAbort), which is what cancels the upstream request.
 */
export class AnswerBroadcast {
  readonly abort = new SharedAbort();
  /** The stored answer, for waiters that want it whole (an askQuestion of the same key): settles as the last chunk is sent. */
  readonly answered: Promise<AnswerRecord>;
  private settle!: { resolve: (record: AnswerRecord) => void; reject: (error: Error) => void };
  private text = '';
  private ended = false;
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0); // one per listener
    this.answered = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.answered.catch(() => undefined); // a failure reaches the listeners as a chunk; waiting is optional
  }

  /** Whether a new listener would still hear the answer: not ended, and not being cancelled. */
  get joinable(): boolean {
    return !this.ended && !this.abort.signal.aborted;
  }

  write(delta: string): void {
    this.text += delta;
    this.emitter.emit(EVENT, { delta } satisfies Happening);
  }

  finish(record: AnswerRecord): void {
    this.ended = true;
    this.emitter.emit(EVENT, { record } satisfies Happening);
    this.settle.resolve(record);
  }

  fail(error: Error): void {
    this.ended = true;
    this.emitter.emit(EVENT, { error } satisfies Happening);
    this.settle.reject(error);
  }

  /**
   * A listener's chunks, until the answer (or its error) has been sent.
   * Listening starts now, in the same tick as the text so far is read, so no
   * delta falls between the two. Closing the stream, or `signal` firing,
   * leaves the broadcast. A listener that joined a broadcast someone else
   * started gets the answer as `cached`, as a waiter on askQuestion's single
   * flight does: it made no upstream call of its own.
   */
  listen(signal: AbortSignal | undefined, joined: boolean): AsyncGenerator<AnswerStreamChunk> {
    const leave = new AbortController();
    this.abort.join(signal ? AbortSignal.any([signal, leave.signal]) : leave.signal);
    const happenings = on(this.emitter, EVENT, { signal: leave.signal });
    const sofar = this.text;
    const stream = (async function* (): AsyncGenerator<AnswerStreamChunk> {
      try {
        if (sofar !== '') yield { delta: sofar, answer: null };
        for await (const [happening] of happenings as AsyncIterable<[Happening]>) {
          if ('delta' in happening) {
            yield { delta: happening.delta, answer: null };
          } else {
            yield 'record' in happening ? { delta: '', answer: { record: happening.record, cached: joined } } : { delta: '', answer: null, error: happening.error };
            return;
          }
        }
      } catch (error) {
        if (!leave.signal.aborted) throw error; // leaving is the normal end of listening
      } finally {
        leave.abort();
      }
    })();
    return closeEarly(stream, () => leave.abort());
  }
}
