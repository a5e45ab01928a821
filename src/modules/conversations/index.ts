import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform } from '../../platform-parts.js';
import type { Analytics } from '../analytics/index.js';
import type { Engine } from '../engine/index.js';
import type { Images } from '../images/index.js';
import { ConversationContext } from './conversation-context.js';
import { ConversationRepository } from './conversation.repository.js';
import { ConversationService } from './conversation.service.js';
import { conversationExportRoutes } from './conversation-export.js';
import { ConversationResolver } from './conversation.resolver.js';

/** Conversations: multi-turn chat about images (also streamed), listed and exported as JSONL. */
export const conversationsModule: GatewayModule<Services> = {
  name: 'conversations',
  resolvers: [ConversationResolver],
  routes: (services, logger) => conversationExportRoutes(services, logger),
};

/** Conversations: their service, with the context trimmed to CONVERSATION_MAX_CONTEXT_TOKENS. */
export function provideConversations(
  { db, config, imageSending, tokenEstimate }: Platform,
  { images, engine, analytics }: { images: Pick<Images, 'repository'>; engine: Pick<Engine, 'calls'>; analytics: Pick<Analytics, 'ledger'> },
) {
  const { calls } = engine;
  const imageRepository = images.repository;
  const { ledger } = analytics;
  return {
    services: {
      conversations: new ConversationService({
        conversations: new ConversationRepository(db),
        images: imageRepository,
        calls,
        context: new ConversationContext({ ...imageSending, maxTokens: config.conversations.maxContextTokens }),
        limits: {
          maxImages: config.limits.imagesPerQuestion,
          messageLength: config.limits.questionLength,
          completionTokens: config.auth.tokenReservePerAnswer + tokenEstimate.thinkingTokensPerCall,
          claimTtlMs: config.resilience.deadlineMs,
        },
        ledger,
      }),
    } satisfies Partial<Services>,
  };
}
