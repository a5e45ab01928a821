import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { openAiRoutes } from './openai-routes.js';

/** OpenAI-compatible door: POST /v1/chat/completions and GET /v1/models, answered by the gateway's own services. */
export const openAiCompatModule: GatewayModule<Services> = {
  name: 'openai-compat',
  resolvers: [],
  routes: (services, logger) => openAiRoutes(services, logger),
};
