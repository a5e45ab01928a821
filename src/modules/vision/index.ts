import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { ImagesAnswerResolver } from './images-answer.resolver.js';
import { DetectionImageResolver, DetectionResolver, ImageTextImageResolver, ImageTextResolver, ModerationImageResolver, ModerationResolver, VisionImageResolver } from './vision.resolver.js';

/** Vision: what the model sees beyond captions and single-image questions. */
export const visionModule: GatewayModule<Services> = {
  name: 'vision',
  resolvers: [
    ImagesAnswerResolver,
    VisionImageResolver,
    ModerationResolver,
    ModerationImageResolver,
    ImageTextResolver,
    ImageTextImageResolver,
    DetectionResolver,
    DetectionImageResolver,
  ],
};
