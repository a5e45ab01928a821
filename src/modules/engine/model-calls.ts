import type { ChatRequest, ChatTurn, ModelAnswer, ModelImage, ModelPrompt, ModelProvider, ModelResult, UpstreamCall } from '../../model/provider.js';
import { ModelCallError } from '../../model/model-call-error.js';
import type { BlobStore } from '../../platform/blob-storage/blob-store.js';
import { asError } from '../../platform/errors.js';
import { releaseReservation, type TokenReservation } from '../access/caller.js';
import { CutShortCharge } from '../analytics/cut-short-charge.js';
import type { Payer, UsageLedger } from '../analytics/usage-ledger.js';
import { toApiError } from '../answers/model-errors.js';
import type { ImageRecord } from '../images/image.repository.js';
import { toModelImage } from '../images/model-image.js';
import { isEncoded } from '../../model/upstream-image.js';

/** A stored image, as much of it as sending it takes. */
type StoredImage = Pick<ImageRecord, 'mimeType' | 'width' | 'height' | 'sha256'>;

/** What every model call is made for, whatever its kind. */
interface CallFor {
  /** Whose budget it spends and whose usage it is. */
  payer: Payer;
  /** The tokens set aside for it: settled to what the endpoint billed, or to what the call owes when cut short. */
  reservation: TokenReservation;
  /** Fires when everyone the call is for has gone: the upstream request stops, and is charged what it cost so far. */
  signal: AbortSignal | undefined;
  /** The estimated prompt tokens of an upstream request carrying these prompts (a chat request carries none): charged when cut short. */
  promptTokens: (prompts: readonly ModelPrompt[]) => number;
  /** max_tokens of a request: the most a reply cut short can owe. */
  maxCompletionTokens: number;
  /** max_tokens per answer when more than TOKEN_RESERVE_PER_ANSWER (a reply cut by the limit asked again). */
  completionTokensPerAnswer?: number;
}

/** Prompts about one image, packed as the provider packs them (captions, questions, structured kinds). */
export interface PackedCall extends CallFor {
  /** The answer kind the prompts are (answer-kind.ts): it picks the provider (QWEN_OCR_MODEL for TEXT, say). */
  kind: string;
  /** The usage kind an upstream request carrying these prompts is recorded under. */
  usageKindOf: (prompts: readonly ModelPrompt[]) => string;
}

/** One reply to turns about stored images, in one upstream request (multi-image questions, streams, conversation turns). */
export interface ChatCall extends CallFor {
  usageKind: string;
  /** Streams the reply: each piece of text as the endpoint writes it. */
  onDelta?: (delta: string) => void;
  /** Told of the provider's content filter refusing the request, before it fails (RefusalMemory). */
  onRefused?: (error: ModelCallError) => void;
}

/** What the engine's calls are made with. */
export interface ModelCallParts {
  provider: ModelProvider;
  blobs: Pick<BlobStore, 'read'>;
  ledger?: Pick<UsageLedger, 'call'>;
}

/** What the endpoint billed for a packed call's results, the unusable replies behind a failure included. */
const billedTokens = (results: readonly ModelResult[]) =>
  results.reduce((sum, result) => sum + (result instanceof ModelCallError ? (result.billed?.totalTokens ?? 0) : result instanceof Error ? 0 : result.usage.totalTokens), 0);

/** A result that failed with nothing billed for it. */
const unbilled = (result: ModelResult | undefined) => result instanceof Error && !(result instanceof ModelCallError && result.billed);

/**
 * The one place in the modules that calls the model provider. Every call,
 * whatever asked for it, is made the same way: each upstream request is
 * recorded in the usage ledger as it ends (an estimate when it was cut short
 * and reported nothing: CutShortCharge), the caller's reservation is settled
 * to the billed tokens (or, cut short, to what the call owes; a failure
 * before any work gives it all back), and a failure reaches the caller as a
 * client-facing error (model-errors.ts).
 */
export class ModelCalls {
  constructor(private readonly parts: ModelCallParts) {}

  /** The model answers are stored under unless a kind has its own (part of every cache key). */
  get model(): string {
    return this.parts.provider.model;
  }

  /** The model a kind of answer goes to (QWEN_OCR_MODEL for TEXT, say): its answers are keyed by it. */
  modelFor(kind: string): string {
    return this.providerFor(kind).model;
  }

  /**
   * Stored images as the provider takes them, their bytes read from the blob
   * store (a missing blob is BLOB_MISSING). An image whose data URL is
   * already built is not read: its bytes are known by their sha256, checked
   * when they were read to build it, and a blob deleted through the gateway
   * drops that URL (forgetEncoded), so it is read, and missing, again. A
   * file removed or damaged behind the gateway's back is found on the first
   * read after the URL leaves the cache; until then the verified bytes in
   * memory are sent, which are the bytes the image row names. Should the URL
   * leave the cache before the provider sends it, the provider reads the
   * blob after all, and builds it again.
   */
  async read(images: readonly StoredImage[]): Promise<ModelImage[]> {
    return Promise.all(
      images.map(async (image) => {
        const read = () => this.parts.blobs.read(image.sha256);
        return toModelImage(image, isEncoded(image.sha256) ? read : await read());
      }),
    );
  }

  /** A chat request about stored images, once their bytes are read. */
  async about(images: readonly StoredImage[], turns: readonly ChatTurn[]): Promise<ChatRequest> {
    return { images: await this.read(images), turns };
  }

  /**
   * The answers to prompts about one image, in prompt order, a failed
   * prompt's in its place. Throws only when the whole call failed (with
   * nothing billed: the reservation goes back).
   */
  async answer(image: ModelImage, prompts: readonly ModelPrompt[], call: PackedCall): Promise<ModelResult[]> {
    const charge = this.chargeOf(call);
    let results: ModelResult[];
    try {
      results = await this.providerFor(call.kind).answer(image, prompts, {
        signal: call.signal,
        ...this.room(call),
        onCall: (upstream) => this.record(call, call.usageKindOf(upstream.prompts), charge, upstream),
      });
    } catch (error) {
      void releaseReservation(call.reservation);
      throw toApiError(asError(error));
    }
    // Prompts cut short before any reply owe their estimate: their callers left while the endpoint worked.
    const cutShort = prompts.filter((_, i) => unbilled(results[i]));
    await call.reservation.settle(billedTokens(results) + (cutShort.length > 0 ? charge.owed(cutShort) : 0));
    return results;
  }

  /**
   * One reply to a chat request (its images sent once, in the first user
   * turn). A request still being read (`about`) that fails fails the call,
   * before anything is asked.
   */
  async chat(request: ChatRequest | Promise<ChatRequest>, call: ChatCall): Promise<ModelAnswer> {
    const charge = this.chargeOf(call);
    const onDelta = call.onDelta;
    let answer: ModelAnswer;
    try {
      answer = await this.parts.provider.chat(
        await request,
        {
          signal: call.signal,
          ...this.room(call),
          ...(onDelta && {
            onDelta: (delta: string) => {
              charge.receive(delta);
              onDelta(delta);
            },
          }),
          onCall: (upstream) => this.record(call, call.usageKind, charge, upstream),
        },
      );
    } catch (error) {
      if (error instanceof ModelCallError && error.contentFiltered) call.onRefused?.(error);
      await charge.settleFailed(call.reservation);
      throw toApiError(asError(error));
    }
    await call.reservation.settle(answer.usage.totalTokens);
    return answer;
  }

  private providerFor(kind: string): ModelProvider {
    return this.parts.provider.forKind?.(kind) ?? this.parts.provider;
  }

  private chargeOf(call: CallFor): CutShortCharge {
    return new CutShortCharge({ left: call.signal, promptTokens: call.promptTokens, maxCompletionTokens: call.maxCompletionTokens });
  }

  private room(call: CallFor): { completionTokensPerAnswer?: number } {
    return call.completionTokensPerAnswer === undefined ? {} : { completionTokensPerAnswer: call.completionTokensPerAnswer };
  }

  private record(call: CallFor, usageKind: string, charge: CutShortCharge, upstream: UpstreamCall): void {
    this.parts.ledger?.call(call.payer, usageKind, charge.report(upstream));
  }
}
