import type { Metrics } from '../../platform/metrics.js';
import type { ModelAnswer, ModelImage, ModelPrompt, ModelResult } from '../../model/provider.js';
import type { TokenEstimate } from '../../model/token-estimate.js';
import type { AnswerRecord, AnswerStore, NewAnswer } from './answer.repository.js';
import type { ImageRecord } from '../images/image.service.js';
import type { AnswerCache } from './answer-cache.js';
import type { AnswerClaims } from './answer-claims.js';
import { releaseReservation, type TokenBudget, type TokenReservation } from '../access/caller.js';
import { asError } from '../../platform/errors.js';
import { ModelCallError } from '../../model/model-call-error.js';
import { groupBy } from '../../platform/collections.js';
import { SharedAbort } from '../../platform/shared-abort.js';
import { toApiError } from './model-errors.js';
import { kindOfCall, type Payer, type UsageLedger } from '../analytics/usage-ledger.js';
import type { FlightLane } from '../engine/flights.js';
import type { ModelCalls } from '../engine/model-calls.js';
import { traceCacheResult } from '../../platform/tracing/gateway-spans.js';
import { wasCut } from '../../model/finish-reason.js';
import { ZERO_USAGE } from '../../model/usage.js';
import type { RefusalMemory } from './refusal-memory.js';
import type { CacheMatch, CacheMatchKind } from './cache-match.type.js';
import type { PromptEmbedding, SimilarAnswers, SimilarHit } from './similar-answers.js';
import { usageKindOf, type AnswerRequest, type AnswerResult } from './answer-requests.js';
import { answerFlightsOf, answerRow, requestColumns, type AnswerFlight, type AnswerWorkParts } from './answer-work.js';
import { AnswerStreams, type AnswerStreamChunk } from './answer-streams.js';
import { signalOf, type LazySignal } from '../../platform/http/client-gone.js';

export type { AnswerResult } from './answer-requests.js';

/** The request as the provider takes it. */
function modelPrompt(request: AnswerRequest): ModelPrompt {
  return request.structured ? { text: request.structured.instruction, format: request.structured.format } : request.prompt;
}


/** A prompt no cache layer could serve. */
interface Miss {
  request: AnswerRequest;
  key: string;
  slot: string;
  /** max_tokens per answer when the stored reply for the key was cut short (finish_reason length): more room than it had. */
  completionTokens?: number;
  /** CACHE_SIMILAR_PROMPTS: the question's embedding, stored with its answer. */
  embedding?: PromptEmbedding;
}

/** Misses that travel in one upstream call, and the tokens set aside for it (or why none could be). */
type PlannedCall = { misses: Miss[]; reservation: TokenReservation; refusal: null } | { misses: Miss[]; reservation: null; refusal: Error };

interface Deferred {
  request: AnswerRequest;
  key: string;
  embedding?: PromptEmbedding;
  resolve: (record: AnswerRecord) => void;
  reject: (error: Error) => void;
}

interface Call {
  image: ImageRecord;
  /** Whom the call is made for (the first caller, when single flight shares it). */
  apiKeyId: string | null;
  items: Deferred[];
  reservation: TokenReservation;
  /** max_tokens per answer, when more than TOKEN_RESERVE_PER_ANSWER (a cut reply asked again). */
  completionTokens: number | undefined;
  /** Fires when every caller waiting on the call has gone. */
  abort: SharedAbort;
}



/** A failure handed out later (after awaits): marked handled now, so it is never reported as an unhandled rejection. */
function settledLater<T>(error: Error): Promise<T> {
  const failed = Promise.reject(error);
  failed.catch(() => {});
  return failed;
}

const payerOf = (request: AnswerRequest, apiKeyId: string | null): Payer => ({ tenant: request.image.tenant, apiKeyId });


/** What AnswerService is made of: the store, the parts of all answer work, and the similar-answer lookup. */
export interface AnswerServiceParts extends AnswerWorkParts {
  answers: AnswerStore;
  /** CACHE_SIMILAR_IMAGES, CACHE_SIMILAR_PROMPTS: misses looked up once more, beyond the exact key. */
  similar?: SimilarAnswers;
}

/**
 * Answers prompts about images: memory, then database, then upstream, each
 * image sent with all its missing prompts (QWEN_MAX_PROMPTS_PER_CALL to a
 * call). What a request may be served from is the cache's scope
 * (CACHE_SCOPE): its own tenant's answers, or any tenant's for the same
 * bytes, and then always into a row of its own. Every upstream call first
 * reserves its estimated tokens from the caller's budget and settles to the
 * billed usage after, so concurrent calls cannot overspend it.
 */
export class AnswerService {
  private readonly inFlight: FlightLane<AnswerFlight>;
  /** The streaming mode (answerStream): the same cache, flights and claims, the reply passed on as it is written. */
  private readonly streams: AnswerStreams;
  private readonly answers: AnswerStore;
  private readonly calls: ModelCalls;
  private readonly cache: AnswerCache;
  private readonly estimate: TokenEstimate;
  private readonly metrics?: Metrics;
  private readonly ledger?: UsageLedger;
  private readonly claims?: AnswerClaims;
  private readonly refusals?: RefusalMemory;
  private readonly similar?: SimilarAnswers;

  constructor(parts: AnswerServiceParts) {
    ({
      answers: this.answers,
      calls: this.calls,
      cache: this.cache,
      estimate: this.estimate,
      metrics: this.metrics,
      ledger: this.ledger,
      claims: this.claims,
      refusals: this.refusals,
      similar: this.similar,
    } = parts);
    this.inFlight = answerFlightsOf(parts.flights);
    this.streams = new AnswerStreams({ ...parts, answers: this, store: parts.answers });
  }

  /**
   * One question about an image as the model writes it (answerStream).
   * Refusals (the budget) are thrown before the stream is returned; failures
   * of the model come as a last chunk with an error. `signal` says the
   * subscriber has gone.
   */
  stream(request: AnswerRequest, budget: TokenBudget, signal?: AbortSignal): Promise<AsyncGenerator<AnswerStreamChunk>> {
    return this.streams.open(request, budget, signal);
  }

  get model(): string {
    return this.calls.model;
  }

  /** The model of the request's kind of work (QWEN_OCR_MODEL for TEXT, say): it keys the request's answers. */
  private modelOf(request: AnswerRequest): string {
    return this.calls.modelFor(request.kind);
  }

  /**
   * Results in request order; a failure is returned in place, not thrown, so
   * others still succeed. A call whose reservation does not fit in `budget`
   * is not made: its prompts fail with RATE_LIMITED. `signal` says the caller
   * has gone: an upstream call stops waiting once all its callers have (a call
   * started for one caller may serve others through single flight). Given as
   * a function, it is made only if a key is missed (a batch of hits needs none).
   */
  async answerAll(requests: readonly AnswerRequest[], budget: TokenBudget, signal?: LazySignal): Promise<Array<AnswerResult | Error>> {
    const keys = requests.map((r) => this.cache.keyFor(r.image.tenant, r.image.sha256, r.prompt, this.modelOf(r)));
    const slots = requests.map((r, i) => `${keys[i]!}${r.refresh ? ':refresh' : ''}`);
    const needsLookup = (r: AnswerRequest, i: number) => !r.refresh && !this.cache.get(keys[i]!) && !this.inFlight.get(keys[i]!);
    const stored = await this.findStored(requests.filter(needsLookup));

    const outcomes = new Map<string, Promise<AnswerResult>>();
    const misses = new Map<string, Miss>();
    requests.forEach((request, i) => {
      const slot = slots[i]!;
      if (outcomes.has(slot) || misses.has(slot)) return;
      const served = this.serve(request, keys[i]!, stored, budget.apiKeyId, signal);
      const refused = request.refresh ? undefined : this.refusals?.recall(keys[i]!);
      if (served) outcomes.set(slot, served);
      else if (refused) outcomes.set(slot, settledLater(toApiError(refused)));
      else misses.set(slot, { request, key: keys[i]!, slot, ...this.roomAfterCut(request, keys[i]!, stored) });
    });
    if (this.similar?.enabled && misses.size > 0) await this.serveSimilar(misses, outcomes, budget.apiKeyId, signalOf(signal));

    const mine = await this.claimAcrossReplicas([...misses.values()], stored, outcomes, budget, signal);
    const calls: Call[] = [];
    for (const planned of await this.reserve(mine.misses, budget)) {
      const items: Deferred[] = [];
      const abort = new SharedAbort();
      abort.join(signalOf(signal));
      for (const miss of planned.misses) {
        outcomes.set(miss.slot, this.serve(miss.request, miss.key, stored, budget.apiKeyId, signal) ?? (planned.refusal ? Promise.reject(planned.refusal) : this.schedule(miss, items, abort)));
      }
      if (planned.reservation === null) continue;
      if (items.length > 0) {
        calls.push({ image: items[0]!.request.image, apiKeyId: budget.apiKeyId, items, reservation: planned.reservation, completionTokens: planned.misses[0]!.completionTokens, abort });
      }
      // Everything it was for was started by someone else while it was being reserved.
      else void releaseReservation(planned.reservation);
    }
    for (const group of groupBy(calls, (call) => call.image.id).values()) void this.askForImage(group[0]!.image, group);
    // Held until the answer is stored (or the call failed): then the replicas waiting on the key read it.
    for (const miss of mine.claimed) {
      const release = () => this.claims?.release(miss.key);
      outcomes.get(miss.slot)!.then(release, release);
    }
    return Promise.all(slots.map((slot) => outcomes.get(slot)!.catch(asError)));
  }

  /**
   * What `answerAll` would serve this request with no new upstream call of
   * its own (memory, the store, or a call already under way, within the
   * cache's scope), or undefined on a miss or a refresh. A result served is
   * recorded as `apiKeyId`'s cache hit.
   */
  async cached(request: AnswerRequest, apiKeyId: string | null, signal?: AbortSignal): Promise<AnswerResult | undefined> {
    const key = this.cache.keyFor(request.image.tenant, request.image.sha256, request.prompt, this.modelOf(request));
    const known = request.refresh || this.cache.get(key) || this.inFlight.get(key);
    return this.serve(request, key, known ? new Map() : await this.findStored([request]), apiKeyId, signal);
  }

  /** Memory, the store, or an upstream call already under way for the key, within the cache's scope. */
  private serve(request: AnswerRequest, key: string, stored: Map<string, AnswerRecord[]>, apiKeyId: string | null, signal: LazySignal | undefined): Promise<AnswerResult> | undefined {
    if (request.refresh) return undefined;
    // A reply cut by max_tokens is kept (and listed) but never served as complete: the key is asked again.
    const rows = (stored.get(key) ?? []).filter((row) => !wasCut(row));
    const remembered = this.cache.get(key);
    const hit = rows.find((row) => row.imageId === request.image.id) ?? (remembered && !wasCut(remembered) ? remembered : undefined) ?? rows[0];
    // What the hit would have cost: the usage stored with the answer it is served from.
    const saved = (source: AnswerRecord) => this.ledger?.served(payerOf(request, apiKeyId), source.model, usageKindOf(request), source);
    const match: CacheMatch = { kind: 'EXACT', sourceImageId: request.image.id, sourcePrompt: request.prompt, similarity: 1 };
    if (hit) {
      this.cache.set(key, hit);
      this.countHit('EXACT');
      traceCacheResult('hit');
      return this.own(request, hit).then((record) => {
        saved(hit);
        return { record, cached: true, match };
      });
    }
    const pending = this.inFlight.join(key, signalOf(signal));
    if (!pending) return undefined;
    this.countHit('EXACT');
    traceCacheResult('shared');
    return pending.work.then(async (source) => {
      const record = await this.own(request, source);
      saved(source);
      return { record, cached: true, match };
    });
  }

  private countHit(kind: CacheMatchKind): void {
    this.metrics?.cacheLookups.inc({ result: 'hit' });
    this.metrics?.cacheHitsByMatch.inc({ match: kind });
  }

  /**
   * Misses served from a near-duplicate image's or a similar question's
   * stored answer (similar-answers.ts) take their outcome here and leave
   * `misses`; the others keep their prompt's embedding, to be stored with
   * the answer the model makes.
   */
  private async serveSimilar(misses: Map<string, Miss>, outcomes: Map<string, Promise<AnswerResult>>, apiKeyId: string | null, signal: AbortSignal | undefined): Promise<void> {
    const waiting = [...misses.values()];
    const found = await this.similar!.lookup(
      waiting.map((miss) => ({ request: miss.request, model: this.modelOf(miss.request), scope: this.cache.storedAnswersOf(miss.request.image.tenant) })),
      payerOf(waiting[0]!.request, apiKeyId),
      signal,
    );
    waiting.forEach((miss, i) => {
      const { hit, embedding } = found[i]!;
      if (embedding) miss.embedding = embedding;
      // The key's own stored reply was cut short: its row is asked again with more room, not shadowed by a copy.
      if (!hit || miss.completionTokens !== undefined) return;
      misses.delete(miss.slot);
      outcomes.set(miss.slot, this.adoptSimilar(miss, hit, apiKeyId));
    });
  }

  /** The requester's own row of a similar answer (no usage: it was billed nothing), remembered under its exact key, and the saving recorded. */
  private async adoptSimilar(miss: Miss, { source, match }: SimilarHit, apiKeyId: string | null): Promise<AnswerResult> {
    this.countHit(match.kind);
    traceCacheResult('hit');
    const record = await this.answers.adopt({ ...this.borrowed(miss.request, source), ...(miss.embedding ?? {}) });
    this.cache.set(miss.key, record);
    this.ledger?.served(payerOf(miss.request, apiKeyId), source.model, usageKindOf(miss.request), source, match.kind);
    return { record, cached: true, match };
  }

  /**
   * The room a key's next ask gets when its stored reply was cut short: twice
   * what that reply was given (at least TOKEN_RESERVE_PER_ANSWER), so repeated
   * cuts grow it until the provider's output cap (which the provider applies).
   */
  private roomAfterCut(request: AnswerRequest, key: string, stored: Map<string, AnswerRecord[]>): { completionTokens?: number } {
    const cut = [this.cache.get(key), ...(stored.get(key) ?? [])].find((row) => row && row.imageId === request.image.id && wasCut(row));
    return cut ? { completionTokens: 2 * Math.max(this.estimate.completionTokensPerAnswer, cut.completionTokens) } : {};
  }

  /**
   * REDIS_URL: claims the misses' keys across replicas. A key another
   * replica is asking about gets an outcome that waits for it and then
   * reads the store; a key claimed here is looked up once more, since its
   * answer may have been stored between the first lookup and the claim.
   * Refreshes always ask (as in one process). Returns the misses still to ask.
   */
  private async claimAcrossReplicas(
    misses: Miss[],
    stored: Map<string, AnswerRecord[]>,
    outcomes: Map<string, Promise<AnswerResult>>,
    budget: TokenBudget,
    signal: LazySignal | undefined,
  ): Promise<{ misses: Miss[]; claimed: Miss[] }> {
    const claimable = misses.filter((miss) => !miss.request.refresh);
    if (!this.claims || claimable.length === 0) return { misses, claimed: [] };
    const granted = await this.claims.claim(claimable.map((miss) => miss.key));
    const elsewhere = new Set(claimable.filter((_, i) => !granted[i]));
    const claimed = claimable.filter((_, i) => granted[i]);
    for (const miss of elsewhere) outcomes.set(miss.slot, this.afterClaimElsewhere(miss, budget, signalOf(signal)));
    for (const [key, rows] of await this.findStored(claimed.map((miss) => miss.request))) stored.set(key, rows);
    return { misses: misses.filter((miss) => !elsewhere.has(miss)), claimed };
  }

  /** Waits for the replica asking about the key, then serves what it stored; if it stored nothing (its call failed), asks again. */
  private async afterClaimElsewhere(miss: Miss, budget: TokenBudget, signal: AbortSignal | undefined): Promise<AnswerResult> {
    await this.claims!.settled(miss.key, signal);
    const served = this.serve(miss.request, miss.key, await this.findStored([miss.request]), budget.apiKeyId, signal);
    if (served) return served;
    const [result] = await this.answerAll([miss.request], budget, signal);
    if (result instanceof Error) throw result;
    return result!;
  }

  /** Registers the miss as in flight, to be asked in its planned call. */
  private schedule(miss: Miss, items: Deferred[], abort: SharedAbort): Promise<AnswerResult> {
    this.metrics?.cacheLookups.inc({ result: 'miss' });
    traceCacheResult('miss');
    const work = new Promise<AnswerRecord>((resolve, reject) => items.push({ request: miss.request, key: miss.key, embedding: miss.embedding, resolve, reject }));
    this.inFlight.track(miss.key, { work, abort });
    return work.then((record) => ({ record, cached: false }));
  }

  /**
   * The calls the misses will take (per image, as many prompts to a call as
   * the provider packs), each with its estimated tokens reserved. Reserved
   * before anything is marked in flight, so no other request ever waits on a
   * call that is then refused for this caller's budget.
   */
  private reserve(misses: readonly Miss[], budget: TokenBudget): Promise<PlannedCall[]> {
    // One image's prompts for different models (a kind routed to its own) travel in separate calls,
    // and so does a cut reply asked again with more room (a call has one max_tokens).
    const byCall = groupBy(misses, (miss) => JSON.stringify([miss.request.image.id, this.modelOf(miss.request), miss.completionTokens ?? null]));
    const planned = [...byCall.values()].flatMap((group) => this.estimateOf(group[0]!.request).calls(group));
    return Promise.all(
      planned.map(async (group): Promise<PlannedCall> => {
        const tokens = this.estimateOf(group[0]!.request).forCall(group[0]!.request.image, group.map((miss) => modelPrompt(miss.request)));
        try {
          return { misses: group, reservation: await budget.reserve(tokens), refusal: null };
        } catch (error) {
          return { misses: group, reservation: null, refusal: asError(error) };
        }
      }),
    );
  }

  private estimateOf(request: AnswerRequest): TokenEstimate {
    return this.estimate.forModel(this.modelOf(request));
  }

  /**
   * The requester's own row for an answer: another tenant's copy of the same
   * bytes (global scope) lends its upstream work (the requester was billed
   * nothing, so its row carries no usage), never its row.
   */
  private async own(request: AnswerRequest, record: AnswerRecord): Promise<AnswerRecord> {
    if (record.imageId === request.image.id) return record;
    return this.answers.adopt({ ...this.borrowed(request, record), embedding: record.embedding, embeddingModel: record.embeddingModel });
  }

  /** A row of the request's own with another row's result: no usage, since the requester was billed nothing for it. */
  private borrowed(request: AnswerRequest, record: AnswerRecord): NewAnswer {
    return {
      ...requestColumns(request),
      model: record.model,
      text: record.text,
      finishReason: record.finishReason,
      flagged: record.flagged,
      categories: record.categories,
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      cachedTokens: 0,
      latencyMs: 0,
    };
  }

  private async findStored(requests: readonly AnswerRequest[]): Promise<Map<string, AnswerRecord[]>> {
    const byScope = groupBy(requests, (r) => this.cache.storedAnswersOf(r.image.tenant));
    const found = await Promise.all(
      [...byScope].map(([tenant, group]) => this.answers.findByKeys(group.map((r) => ({ sha256: r.image.sha256, prompt: r.prompt, model: this.modelOf(r), imageId: r.image.id })), tenant)),
    );
    return groupBy(found.flat(), (row) => this.cache.keyFor(row.tenant, row.image.sha256, row.prompt, row.model));
  }

  /** Reads the image once for all its calls. */
  private async askForImage(image: ImageRecord, calls: Call[]): Promise<void> {
    try {
      let sent: ModelImage;
      try {
        [sent] = (await this.calls.read([image])) as [ModelImage];
      } catch (error) {
        // Nothing was asked, so nothing was billed: the reservations go back.
        for (const call of calls) {
          void releaseReservation(call.reservation);
          for (const item of call.items) item.reject(toApiError(asError(error)));
        }
        return;
      }
      await Promise.all(calls.map((call) => this.ask(sent, call)));
    } finally {
      for (const call of calls) call.abort.release();
    }
  }

  private async ask(image: ModelImage, call: Call): Promise<void> {
    const prompts = call.items.map((item) => modelPrompt(item.request));
    const kinds = new Map(prompts.map((prompt, i) => [prompt, usageKindOf(call.items[i]!.request)]));
    const payer = { tenant: call.image.tenant, apiKeyId: call.apiKeyId };
    const first = call.items[0]!.request;
    const estimate = this.estimateOf(first);
    let results: ModelResult[];
    try {
      // Every caller gone (a closed socket, a cancelled job) cuts the call short: the prompts it got no answer for owe their estimate.
      results = await this.calls.answer(image, prompts, {
        kind: first.kind,
        payer,
        reservation: call.reservation,
        signal: call.abort.signal,
        promptTokens: (carried) => estimate.promptOfCall(image, carried),
        maxCompletionTokens: estimate.completionTokensPerAnswer,
        completionTokensPerAnswer: call.completionTokens,
        usageKindOf: (carried) => kindOfCall(carried.map((prompt) => kinds.get(prompt))),
      });
    } catch (error) {
      for (const item of call.items) item.reject(asError(error));
      return;
    }
    await Promise.all(call.items.map((item, i) => this.save(item, results[i], payer)));
  }

  private async save(item: Deferred, result: ModelResult | undefined, payer: Payer): Promise<void> {
    if (!result) return item.reject(new Error('the model provider returned fewer results than prompts'));
    const { request } = item;
    const verdict = result instanceof ModelCallError && result.contentFiltered ? request.structured?.whenContentFiltered : undefined;
    if (result instanceof Error && verdict === undefined) {
      if (result instanceof ModelCallError && result.contentFiltered) this.refusals?.remember(item.key, result);
      return item.reject(toApiError(result));
    }
    // The provider's content filter refusing a moderation is its verdict: stored and cached like any other.
    const answer: ModelAnswer = result instanceof Error ? { text: verdict!, finishReason: 'content_filter', usage: result instanceof ModelCallError ? (result.billed ?? ZERO_USAGE) : ZERO_USAGE, latencyMs: 0 } : result;
    try {
      const record = await this.answers.save({ ...answerRow(request, answer, this.modelOf(request)), ...item.embedding });
      this.cache.set(item.key, record, request.refresh);
      this.ledger?.served(payer, record.model, usageKindOf(request), null);
      item.resolve(record);
    } catch (error) {
      item.reject(asError(error));
    }
  }
}
