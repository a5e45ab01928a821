import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { conversationExportRoutes } from './conversation-export.js';
import { ConversationResolver } from './conversation.resolver.js';

/** Conversations: multi-turn chat about images (also streamed), listed and exported as JSONL. */
export const conversationsModule: GatewayModule<Services> = {
  name: 'conversations',
  resolvers: [ConversationResolver],
  routes: (services, logger) => conversationExportRoutes(services, logger),
};
