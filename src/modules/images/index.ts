import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { imageRoutes } from './image-routes.js';
// type-graphql orders an object's fields as their decorators run: ImageResolver's before ImageUrlResolver's (schema/schema.graphql).
import { ImageResolver } from './image.resolver.js';
import { ImageUrlResolver } from './image-url.resolver.js';

/** Images: uploads and URL imports, stored images, and the signed image and thumbnail URLs with the routes that serve them. */
export const imagesModule: GatewayModule<Services> = {
  name: 'images',
  resolvers: [ImageResolver, ImageUrlResolver],
  routes: (services, logger) => imageRoutes({ delivery: services.imageDelivery, logger }),
};
