import type { ModelAnswer, ModelProvider } from '../../model/provider.js';
import type { TokenEstimate } from '../../model/token-estimate.js';
import type { BlobStore } from '../../platform/blob-storage/blob-store.js';
import type { Metrics } from '../../platform/metrics.js';
import { releaseReservation, type TokenBudget, type TokenReservation } from '../access/caller.js';
import { CutShortCharge } from '../analytics/cut-short-charge.js';
import { asError } from '../../platform/errors.js';
import type { AnswerCache } from './answer-cache.js';
import type { AnswerRecord, AnswerStore } from './answer.repository.js';
import { answerRow, type AnswerRequest, type AnswerService } from './answer.service.js';
import { AnswerBroadcast, type AnswerStreamChunk } from './answer-stream-broadcast.js';
import { toApiError } from './model-errors.js';
import { toModelImage } from '../images/model-image.js';
import type { Payer, UsageLedger } from '../analytics/usage-ledger.js';
import { ModelCallError } from '../../model/model-call-error.js';
import type { RefusalMemory } from './refusal-memory.js';

export type { AnswerStreamChunk } from './answer-stream-broadcast.js';


/**
 * Answers a question about an image as the model writes it (answerStream).
 * The same cache as AnswerService (its key, scope and stored rows): a cached
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
 * leaves meanwhile).
 */
export class AnswerStreamService {
  /** The broadcasts under way, by image and cache key. */
  private readonly running = new Map<string, AnswerBroadcast>();

  constructor(
    private readonly answers: AnswerService,
    private readonly store: Pick<AnswerStore, 'save'>,
    private readonly blobs: Pick<BlobStore, 'read'>,
    private readonly provider: ModelProvider,
    private readonly cache: AnswerCache,
    private readonly estimate: TokenEstimate,
    private readonly metrics?: Metrics,
    private readonly ledger?: UsageLedger,
    /** askQuestion's memory of content-filter refusals (same keys): a refused question is refused at once either way. */
    private readonly refusals?: RefusalMemory,
  ) {}

  /**
   * The chunks of one answer. Refusals (the budget) are thrown before the
   * stream is returned; failures of the model come as a last chunk with an
   * error. `signal` says the subscriber has gone.
   */
  async open(request: AnswerRequest, budget: TokenBudget, signal?: AbortSignal): Promise<AsyncGenerator<AnswerStreamChunk>> {
    const key = this.cache.keyFor(request.image.tenant, request.image.sha256, request.prompt, this.provider.model);
    const slot = JSON.stringify([request.image.id, key]);
    // The same stream under way: its text so far, then the rest (an ask would only get the end).
    const joined = this.join(slot, signal);
    if (joined) return joined;
    const hit = await this.answers.cached(request, budget.apiKeyId, signal);
    if (hit) return once({ delta: hit.record.text, answer: hit });
    const refused = request.refresh ? undefined : this.refusals?.recall(key);
    if (refused) return once({ delta: '', answer: null, error: toApiError(refused) });

    const reservation = await budget.reserve(this.estimate.forCall(request.image, [request.prompt]));
    // Someone may have started the same stream while this one reserved.
    const late = this.join(slot, signal);
    if (late) {
      void releaseReservation(reservation);
      return late;
    }
    this.metrics?.cacheLookups.inc({ result: 'miss' });
    const broadcast = new AnswerBroadcast();
    this.running.set(slot, broadcast);
    // An askQuestion of the key (or a stream of another image with the same bytes) waits for this call.
    this.answers.shareInFlight(key, broadcast.answered, broadcast.abort);
    const chunks = broadcast.listen(signal, false);
    void this.run(broadcast, request, key, reservation, { tenant: request.image.tenant, apiKeyId: budget.apiKeyId }).finally(() => {
      if (this.running.get(slot) === broadcast) this.running.delete(slot);
      broadcast.abort.release();
    });
    return chunks;
  }

  /** Listens to a broadcast under way, unless it has ended or every listener has left it (it is being cancelled). */
  private join(slot: string, signal: AbortSignal | undefined): AsyncGenerator<AnswerStreamChunk> | undefined {
    const broadcast = this.running.get(slot);
    if (!broadcast?.joinable) return undefined;
    this.metrics?.cacheLookups.inc({ result: 'hit' });
    return broadcast.listen(signal, true);
  }

  private async run(broadcast: AnswerBroadcast, request: AnswerRequest, key: string, reservation: TokenReservation, payer: Payer): Promise<void> {
    const charge = new CutShortCharge({
      left: broadcast.abort.signal,
      promptTokens: () => this.estimate.promptOfCall(request.image, [request.prompt]),
      maxCompletionTokens: this.estimate.completionTokensPerAnswer,
    });
    let answer: ModelAnswer;
    try {
      const data = await this.blobs.read(request.image.sha256);
      answer = await this.provider.chat(
        { images: [toModelImage(request.image, data)], turns: [{ role: 'user', text: request.prompt }] },
        {
          signal: broadcast.abort.signal,
          onDelta: (delta) => {
            charge.receive(delta);
            broadcast.write(delta);
          },
          onCall: (call) => this.ledger?.call(payer, request.kind, charge.report(call)),
        },
      );
    } catch (error) {
      if (error instanceof ModelCallError && error.contentFiltered) this.refusals?.remember(key, error);
      // Cut short (every listener left, or the reply broke off): charged as estimated. Otherwise never billed: the reservation goes back.
      await charge.settleFailed(reservation);
      broadcast.fail(toApiError(asError(error)));
      return;
    }
    try {
      await reservation.settle(answer.usage.totalTokens);
      const record = await this.save(request, answer);
      this.cache.set(key, record, request.refresh);
      this.ledger?.served(payer, record.model, request.kind, null);
      broadcast.finish(record);
    } catch (error) {
      broadcast.fail(asError(error));
    }
  }

  /** The row askQuestion would store for the same answer (replacing a stored one: refresh). */
  private save(request: AnswerRequest, answer: ModelAnswer): Promise<AnswerRecord> {
    return this.store.save(answerRow(request, answer, this.provider.model));
  }
}

async function* once(chunk: AnswerStreamChunk): AsyncGenerator<AnswerStreamChunk> {
  yield chunk;
}
