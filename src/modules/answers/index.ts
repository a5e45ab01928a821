import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { Listeners } from '../../platform/listeners.js';
import type { Platform } from '../../platform-parts.js';
import { createEmbedder } from '../../model/create-provider.js';
import type { Analytics } from '../analytics/index.js';
import type { Engine } from '../engine/index.js';
import type { NearDuplicates } from '../near-duplicates/index.js';
import { AnswerCache } from './answer-cache.js';
import { AnswerRepository } from './answer.repository.js';
import { AnswerService } from './answer.service.js';
import { RedisAnswerClaims } from './redis-answer-claims.js';
import { RedisStreamRelay } from './redis-stream-relay.js';
import { RefusalMemory } from './refusal-memory.js';
import { ResultService } from './result.service.js';
import { SimilarAnswers } from './similar-answers.js';
import { StoredPrompts } from './stored-prompts.js';
import { CaptionImageResolver, CaptionResolver, QuestionImageResolver, QuestionResolver } from './answer.resolver.js';
import { AnswerStreamResolver } from './answer-stream.resolver.js';

/** Answers: captions and questions about an image, computed once (cached) and listed for analytics. */
export const answersModule: GatewayModule<Services> = {
  name: 'answers',
  resolvers: [CaptionResolver, CaptionImageResolver, QuestionResolver, QuestionImageResolver, AnswerStreamResolver],
};

/**
 * Captions and questions, their stream, and the stored results; the answer
 * cache (with `answerReplaced`, told when a refresh replaced a cached answer),
 * the stored prompts (a single process on SQLite) and, with REDIS_URL, the
 * claims other services of the same answers take.
 */
export function provideAnswers(
  { db, config, redis, logger, metrics, tokenEstimate, analyticsQueries }: Platform,
  { analytics, engine, nearDuplicates }: { analytics: Pick<Analytics, 'ledger'>; engine: Engine; nearDuplicates: Pick<NearDuplicates, 'services'> },
) {
  const { ledger } = analytics;
  const { calls, flights } = engine;
  const answerRepository = new AnswerRepository(db, analyticsQueries);
  const answerReplaced = new Listeners<[key: string]>();
  const answerCache = new AnswerCache(config.answerCacheSize, config.cacheScope, answerReplaced.tell);
  const claims = redis ? new RedisAnswerClaims(redis, config.resilience.deadlineMs, logger) : undefined;
  // CACHE_SIMILAR_IMAGES, CACHE_SIMILAR_PROMPTS: answers reused across near-duplicate images and similar questions.
  const similar = new SimilarAnswers({
    store: answerRepository, nearDuplicates: nearDuplicates.services.nearDuplicates, settings: config.similarAnswers, logger, embedder: createEmbedder(config), ledger,
  });
  const refusals = new RefusalMemory(config.modelRefusalTtlSeconds);
  // This process the only writer of the answers (SQLite, no replicas), and each tenant served its own: a fresh question's lookup is answered from memory.
  const storedPrompts = !redis && analyticsQueries.dialect === 'sqlite' && config.cacheScope === 'tenant' ? new StoredPrompts(answerRepository) : undefined;
  const answers = new AnswerService({
    answers: storedPrompts ?? answerRepository, calls, flights, cache: answerCache, estimate: tokenEstimate, metrics, ledger, claims, refusals, similar,
    relay: redis && claims ? new RedisStreamRelay(redis, claims, logger) : undefined,
  });
  return {
    cache: answerCache,
    storedPrompts,
    answerReplaced,
    claims,
    services: {
      answers,
      results: new ResultService(answerRepository, config.analyticsQueryTimeoutMs),
    } satisfies Partial<Services>,
  };
}

export type Answers = ReturnType<typeof provideAnswers>;
