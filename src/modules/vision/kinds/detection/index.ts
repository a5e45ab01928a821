import { defineResultKind } from '../result-kind.js';
import { detectionResolvers } from './detection.resolver.js';

/** Objects located with boxes (docs/vision.md, "Object detection"). */
export const detection = defineResultKind({
  name: 'DETECTION',
  resolvers: detectionResolvers,
});
