import type { ModelAnswer } from '../../model/provider.js';
import type { TokenBudget, TokenReservation } from '../access/caller.js';
import type { AnswerRecord, AnswerStore } from './answer.repository.js';
import { answerFlightsOf, answerRow, type AnswerFlight, type AnswerWorkParts } from './answer-work.js';
import { usageKindOf, type AnswerRequest, type AnswerResult } from './answer-requests.js';
import { AnswerBroadcast, type AnswerStreamChunk } from './answer-stream-broadcast.js';
import { toApiError } from './model-errors.js';
import type { Payer } from '../analytics/usage-ledger.js';
import type { Flight, FlightLane } from '../engine/flights.js';
import { serveKeyed } from '../engine/keyed-work.js';
import type { RelayedStream } from './stream-relay.js';
import { asError, GatewayError, type ErrorCode } from '../../platform/errors.js';

export type { AnswerStreamChunk } from './answer-stream-broadcast.js';

/** A stream under way, in the engine's in-flight table: its listeners join the broadcast, not just its end. */
type StreamFlight = Flight<AnswerRecord> & { broadcast: AnswerBroadcast };

/** What a stream is served from without a call of its own: askQuestion's cache (AnswerService.cached). */
export interface CachedAnswers {
  cached(request: AnswerRequest, apiKeyId: string | null, signal?: AbortSignal): Promise<AnswerResult | undefined>;
}

export interface AnswerStreamParts extends AnswerWorkParts {
  answers: CachedAnswers;
  store: Pick<AnswerStore, 'save'>;
}

/**
 * The streaming mode of AnswerService (answerStream): a question about an
 * image answered as the model writes it. The same cache as AnswerService (its key, scope and stored rows): a cached
 * answer is one chunk, with no upstream call. Otherwise one streamed upstream
 * call per image and question at a time, shared by every identical stream
 * (those about the same image: the answer is stored as that image's row),
 * with the first caller's tokens reserved before it starts and settled to the
 * billed usage after. The answer is stored, as askQuestion would store it,
 * only once the whole reply has arrived; when every listener has gone the
 * upstream request is cancelled and nothing is stored, but the call is
 * charged what it cost so far (CutShortCharge).
 *
 * A content-filter refusal is remembered under the same key as askQuestion's
 * (RefusalMemory), so a re-ask by either path fails at once.
 *
 * Streams and askQuestion share calls in flight both ways: a stream that
 * finds an askQuestion under way waits for it (one chunk), and an
 * askQuestion that arrives while a stream runs waits for the stream's call
 * and returns the row it stored (holding the call open if every subscriber
 * leaves meanwhile). With REDIS_URL the key's claim is taken as askQuestion
 * takes it, and the stream is relayed (StreamRelay): identical streams and
 * asks on other replicas follow this one instead of calling, and the call is
 * cancelled only once no replica's subscriber still listens.
 */
export class AnswerStreams {
  /** The broadcasts under way, by image and cache key. */
  private readonly running: FlightLane<StreamFlight>;
  /** askQuestion's lane: an ask of the key waits for a stream's call. */
  private readonly asks: FlightLane<AnswerFlight>;

  constructor(private readonly parts: AnswerStreamParts) {
    this.running = parts.flights.lane<StreamFlight>('stream');
    this.asks = answerFlightsOf(parts.flights);
  }

  /**
   * The chunks of one answer. Refusals (the budget) are thrown before the
   * stream is returned; failures of the model come as a last chunk with an
   * error. `signal` says the subscriber has gone.
   */
  async open(request: AnswerRequest, budget: TokenBudget, signal?: AbortSignal): Promise<AsyncGenerator<AnswerStreamChunk>> {
    const { answers, cache, calls, refusals, claims, estimate, metrics } = this.parts;
    const key = cache.keyFor(request.image.tenant, request.image.sha256, request.prompt, calls.model);
    const slot = JSON.stringify([request.image.id, key]);
    // Claimed under askQuestion's key: an ask on any replica waits for this stream's call, and the other way round.
    return serveKeyed(claims, {
      claim: key,
      refresh: request.refresh,
      // The same stream under way: its text so far, then the rest (an ask would only get the end).
      join: () => this.join(slot, signal),
      stored: async () => {
        const hit = await answers.cached(request, budget.apiKeyId, signal);
        if (hit) return once({ delta: hit.record.text, answer: hit });
        const refused = refusals?.recall(key);
        return refused ? once({ delta: '', answer: null, error: toApiError(refused) }) : undefined;
      },
      reserve: () => budget.reserve(estimate.forCall(request.image, [request.prompt])),
      elsewhere: async () => this.follow(request, key, slot, budget, signal),
      start: (reservation) => {
        metrics?.cacheLookups.inc({ result: 'miss' });
        const broadcast = this.broadcastFor(slot);
        // An askQuestion of the key (or a stream of another image with the same bytes) waits for this call.
        this.asks.track(key, { work: broadcast.answered, abort: broadcast.abort });
        const chunks = broadcast.listen(signal, false);
        // Relayed when this replica holds the key's claim (a refresh takes none): other replicas' identical streams follow it.
        const relayed = claims && !request.refresh ? this.parts.relay?.publish(key) : undefined;
        const settled = this.run(broadcast, request, key, reservation, { tenant: request.image.tenant, apiKeyId: budget.apiKeyId }, relayed);
        return { result: Promise.resolve(chunks), settled };
      },
    });
  }

  /** A broadcast registered under `slot` until it ends. */
  private broadcastFor(slot: string): AnswerBroadcast {
    const broadcast = new AnswerBroadcast();
    this.running.track(slot, { work: broadcast.answered, abort: broadcast.abort, broadcast });
    const done = () => broadcast.abort.release();
    broadcast.answered.then(done, done);
    return broadcast;
  }

  /** Listens to a broadcast under way, unless it has ended or every listener has left it (it is being cancelled). */
  private join(slot: string, signal: AbortSignal | undefined): Promise<AsyncGenerator<AnswerStreamChunk>> | undefined {
    const broadcast = this.running.get(slot)?.broadcast;
    if (!broadcast?.joinable) return undefined;
    this.parts.metrics?.cacheLookups.inc({ result: 'hit' });
    return Promise.resolve(broadcast.listen(signal, true));
  }

  /**
   * Another replica holds the key's claim: its relayed stream is passed on
   * to this replica's subscribers (one follower for all of them), then the
   * row it stored is read; when it is an ask, not a stream, the stored row
   * comes once the claim is released.
   */
  private follow(request: AnswerRequest, key: string, slot: string, budget: TokenBudget, signal: AbortSignal | undefined): AsyncGenerator<AnswerStreamChunk> {
    this.parts.metrics?.cacheLookups.inc({ result: 'hit' });
    const broadcast = this.broadcastFor(slot);
    const chunks = broadcast.listen(signal, true);
    const relayOf = async (): Promise<void> => {
      const left = broadcast.abort.signal;
      if (this.parts.relay) {
        for await (const event of this.parts.relay.follow(key, left)) {
          if ('delta' in event) broadcast.write(event.delta);
          else if (event.end === 'failed') return broadcast.fail(new GatewayError(event.code as ErrorCode, event.message, { retryable: true }));
        }
      } else {
        await this.parts.claims!.settled(key, left);
      }
      if (left.aborted) return broadcast.fail(left.reason instanceof Error ? left.reason : new Error('every subscriber left'));
      const stored = await this.parts.answers.cached(request, budget.apiKeyId, left);
      if (stored) broadcast.finish(stored.record);
      else broadcast.fail(new GatewayError('MODEL_UNAVAILABLE', 'The answer being made on another replica failed before it was stored; ask again.', { retryable: true }));
    };
    relayOf().catch((error: unknown) => broadcast.fail(asError(error)));
    return chunks;
  }

  private async run(broadcast: AnswerBroadcast, request: AnswerRequest, key: string, reservation: TokenReservation, payer: Payer, relayed: RelayedStream | undefined): Promise<void> {
    const { calls, estimate, ledger, refusals, cache } = this.parts;
    // Cancelled once every subscriber here has left and no other replica follows the relay.
    const upstream = new AbortController();
    broadcast.abort.signal.addEventListener('abort', () => {
      void (relayed?.unfollowed() ?? Promise.resolve()).then(() => upstream.abort(broadcast.abort.signal.reason));
    }, { once: true });
    let answer: ModelAnswer;
    try {
      // Cut short (every listener left, or the reply broke off): charged as estimated (CutShortCharge).
      answer = await calls.chat(calls.about([request.image], [{ role: 'user', text: request.prompt }]), {
        payer,
        reservation,
        signal: upstream.signal,
        promptTokens: () => estimate.promptOfCall(request.image, [request.prompt]),
        maxCompletionTokens: estimate.completionTokensPerAnswer,
        usageKind: usageKindOf(request),
        onDelta: (delta) => {
          broadcast.write(delta);
          relayed?.write(delta);
        },
        onRefused: (error) => refusals?.remember(key, error),
      });
    } catch (error) {
      const failure = asError(error);
      relayed?.fail(failure);
      broadcast.fail(failure);
      return;
    }
    try {
      const record = await this.parts.store.save(answerRow(request, answer, calls.model));
      cache.set(key, record, request.refresh);
      ledger?.served(payer, record.model, usageKindOf(request), null);
      relayed?.finish();
      broadcast.finish(record);
    } catch (error) {
      relayed?.fail(asError(error));
      broadcast.fail(asError(error));
    }
  }
}

async function* once(chunk: AnswerStreamChunk): AsyncGenerator<AnswerStreamChunk> {
  yield chunk;
}
