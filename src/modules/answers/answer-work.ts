import type { ModelAnswer } from '../../model/provider.js';
import type { TokenEstimate } from '../../model/token-estimate.js';
import type { Metrics } from '../../platform/metrics.js';
import type { UsageLedger } from '../analytics/usage-ledger.js';
import type { Flight, FlightLane, Flights } from '../engine/flights.js';
import type { ModelCalls } from '../engine/model-calls.js';
import type { AnswerCache } from './answer-cache.js';
import type { AnswerClaims } from './answer-claims.js';
import type { AnswerRequest } from './answer-requests.js';
import type { AnswerRecord, NewAnswer } from './answer.repository.js';
import type { RefusalMemory } from './refusal-memory.js';
import type { StreamRelay } from './stream-relay.js';

/** What askQuestion's packed calls and answerStream share: the lane of answer keys, and the row an answer is stored as. */

/** What answers are made with, asked or streamed: the engine, the cache and estimate, and the optional parts. */
export interface AnswerWorkParts {
  calls: ModelCalls;
  flights: Flights;
  cache: AnswerCache;
  estimate: TokenEstimate;
  metrics?: Metrics;
  ledger?: UsageLedger;
  /** REDIS_URL: single flight across replicas too (a stream takes askQuestion's claim); none in the embedded default. */
  claims?: AnswerClaims;
  /** MODEL_REFUSAL_TTL_SECONDS: content-filter refusals answered from memory for a while, asked or streamed. */
  refusals?: RefusalMemory;
  /** REDIS_URL: relays a stream made here to other replicas' identical streams, and follows theirs. */
  relay?: StreamRelay;
}

/** The columns of an answer's row that come from its request. */
export function requestColumns(request: AnswerRequest): Pick<NewAnswer, 'tenant' | 'imageId' | 'kind' | 'style' | 'prompt'> {
  return { tenant: request.image.tenant, imageId: request.image.id, kind: request.kind, style: request.style, prompt: request.prompt };
}

/** An answer's call in flight (a packed call's, or a stream's), in the engine's lane of answers. */
export type AnswerFlight = Flight<AnswerRecord>;

/** The lane of answer keys in the engine's in-flight table: askQuestion, packed calls and answerStream share it. */
export const answerFlightsOf = (flights: Flights): FlightLane<AnswerFlight> => flights.lane<AnswerFlight>('answer');

/** The row an answer is stored as, from the request and the model's reply (`model`: the provider's, unless a fallback answered). */
export function answerRow(request: AnswerRequest, answer: ModelAnswer, model: string): NewAnswer {
  return {
    ...requestColumns(request),
    model: answer.model ?? model,
    text: answer.text,
    finishReason: answer.finishReason,
    latencyMs: answer.latencyMs,
    ...answer.usage,
    ...request.structured?.columns?.(answer.text),
  };
}
