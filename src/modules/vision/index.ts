import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform } from '../../platform-parts.js';
import type { Analytics } from '../analytics/index.js';
import type { Answers } from '../answers/index.js';
import type { Engine } from '../engine/index.js';
import type { Images } from '../images/index.js';
import { ImagesAnswerRepository } from './images-answer.repository.js';
import { ImagesAnswerService } from './images-answer.service.js';
import { VisionService } from './vision.service.js';
import { ImagesAnswerResolver } from './images-answer.resolver.js';
import { RESULT_KINDS } from './kinds/index.js';

/** Each registered kind's resolvers, by its name: defined here, once, after the modules imported before this one. */
export const kindResolvers = new Map(RESULT_KINDS.map((kind) => [kind.name, kind.resolvers()]));

/** Vision: what the model sees beyond captions and single-image questions. */
export const visionModule: GatewayModule<Services> = {
  name: 'vision',
  resolvers: [ImagesAnswerResolver, ...[...kindResolvers.values()].flat()],
};

/** Structured results (the kinds in ./kinds) as answers' requests, and questions about several images. */
export function provideVision(
  { db, config, tokenEstimate }: Platform,
  { answers, engine, images, analytics }: { answers: Pick<Answers, 'claims'>; engine: Engine; images: Pick<Images, 'repository'>; analytics: Pick<Analytics, 'ledger'> },
) {
  const { calls, flights } = engine;
  const { claims } = answers;
  const imageRepository = images.repository;
  const { ledger } = analytics;
  return {
    services: {
      vision: new VisionService({ ...config.vision, maxPixels: config.model.maxPixels, highResolution: config.model.highResolutionImages }),
      imagesAnswers: new ImagesAnswerService({
        answers: new ImagesAnswerRepository(db),
        images: imageRepository,
        calls,
        flights,
        estimate: tokenEstimate,
        scope: config.cacheScope,
        limits: { maxImages: config.limits.imagesPerQuestion, questionLength: config.limits.questionLength },
        ledger,
        claims,
      }),
    } satisfies Partial<Services>,
  };
}

export type Vision = ReturnType<typeof provideVision>;
