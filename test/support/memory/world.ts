import { TokenEstimate } from '../../../src/model/token-estimate.js';
import { AnswerCache, type CacheScope } from '../../../src/modules/answers/answer-cache.js';
import { AnswerService } from '../../../src/modules/answers/answer.service.js';
import { Flights } from '../../../src/modules/engine/flights.js';
import { ModelCalls } from '../../../src/modules/engine/model-calls.js';
import { StubProvider, type Reply } from '../stub-provider.js';
import { MemoryAnswers } from './answers.js';
import { MemoryImages } from './images.js';

export interface WorldOptions {
  scope?: CacheScope;
  promptsPerCall?: number;
  reply?: Reply;
}

/**
 * The answer path on in-memory fakes, shared by the unit tests of the
 * services built on it (answers, streams, jobs): images, stored answers, a
 * stub provider, the estimate, blobs whose bytes are their sha256, and an
 * AnswerService over one answer cache.
 */
export function memoryWorld(options: WorldOptions = {}) {
  const scope = options.scope ?? 'tenant';
  const images = new MemoryImages();
  const answers = new MemoryAnswers(images);
  const provider = new StubProvider(options.reply);
  const estimate = new TokenEstimate({ maxPixels: 1_003_520, promptsPerCall: options.promptsPerCall ?? 8, completionTokensPerAnswer: 100 });
  const blobs = { read: async (sha256: string) => Buffer.from(sha256) };
  const cache = new AnswerCache(100, scope);
  const calls = new ModelCalls({ provider, blobs });
  const flights = new Flights();
  const answerService = new AnswerService({ answers, calls, flights, cache, estimate });
  /** A service as a fresh process would have it: the same store, an empty memory layer, no work under way. */
  const freshService = (model: StubProvider = provider) => new AnswerService({ answers, calls: new ModelCalls({ provider: model, blobs }), flights: new Flights(), cache: new AnswerCache(100, scope), estimate });
  return { images, answers, provider, estimate, blobs, cache, calls, flights, answerService, freshService };
}
