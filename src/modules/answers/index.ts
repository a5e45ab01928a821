import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { CaptionImageResolver, CaptionResolver, QuestionImageResolver, QuestionResolver } from './answer.resolver.js';
import { AnswerStreamResolver } from './answer-stream.resolver.js';

/** Answers: captions and questions about an image, computed once (cached) and listed for analytics. */
export const answersModule: GatewayModule<Services> = {
  name: 'answers',
  resolvers: [CaptionResolver, CaptionImageResolver, QuestionResolver, QuestionImageResolver, AnswerStreamResolver],
};
