import { defineResultKind } from '../result-kind.js';
import { imageTextResolvers } from './image-text.resolver.js';

/** The text in an image (docs/vision.md, "Reading text"). */
export const text = defineResultKind({
  name: 'TEXT',
  resolvers: imageTextResolvers,
});
