import type { ModelAnswer } from '../../model/provider.js';
import type { Flight, FlightLane, Flights } from '../engine/flights.js';
import type { AnswerRequest } from './answer-requests.js';
import type { AnswerRecord, NewAnswer } from './answer.repository.js';

/** What askQuestion's packed calls and answerStream share: the lane of answer keys, and the row an answer is stored as. */

/** An answer's call in flight (a packed call's, or a stream's), in the engine's lane of answers. */
export type AnswerFlight = Flight<AnswerRecord>;

/** The lane of answer keys in the engine's in-flight table: askQuestion, packed calls and answerStream share it. */
export const answerFlightsOf = (flights: Flights): FlightLane<AnswerFlight> => flights.lane<AnswerFlight>('answer');

/** The row an answer is stored as, from the request and the model's reply (`model`: the provider's, unless a fallback answered). */
export function answerRow(request: AnswerRequest, answer: ModelAnswer, model: string): NewAnswer {
  return {
    tenant: request.image.tenant,
    imageId: request.image.id,
    kind: request.kind,
    style: request.style,
    prompt: request.prompt,
    model: answer.model ?? model,
    text: answer.text,
    finishReason: answer.finishReason,
    latencyMs: answer.latencyMs,
    ...answer.usage,
    ...request.structured?.columns?.(answer.text),
  };
}
