import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { Listeners } from '../../platform/listeners.js';
import type { Platform, Worker } from '../../platform-parts.js';
import { openRemoteImage } from '../imports/index.js';
import { BlobsInFlight } from './blobs-in-flight.js';
import { ImageCache } from './image-cache.js';
import { ImageDelivery } from './image-delivery.js';
import { ImageRepository, type ImageRecord } from './image.repository.js';
import { ImageService, type Uploader } from './image.service.js';
import { ImageUrls } from './image-urls.js';
import { OrphanSweep } from './orphan-sweep.js';
import { urlSigningSecret } from './signing-secret.js';
import { Thumbnails } from './thumbnails.js';
import { UrlSigner } from './url-signing.js';
import { imageRoutes } from './image-routes.js';
// type-graphql orders an object's fields as their decorators run: ImageResolver's before ImageUrlResolver's (schema/schema.graphql).
import { ImageResolver } from './image.resolver.js';
import { ImageUrlResolver } from './image-url.resolver.js';

export { multipartUploads } from './multipart.js';

/** Images: uploads and URL imports, stored images, and the signed image and thumbnail URLs with the routes that serve them. */
export const imagesModule: GatewayModule<Services> = {
  name: 'images',
  resolvers: [ImageResolver, ImageUrlResolver],
  routes: (services, logger) => imageRoutes({ delivery: services.imageDelivery, logger }),
};

/**
 * Stored images and their rows (with the cache reads go through), the URL
 * signer (image and export links), the blobs uploads are putting in place, and
 * `uploadsStored` for whoever reacts to new uploads (near-duplicates, jobs).
 */
export async function provideImages({ db, config, logger, metrics, blobs, storageHealth, settings }: Platform) {
  const repository = new ImageRepository(db);
  const cache = new ImageCache(repository);
  const inFlight = new BlobsInFlight();
  const uploadsStored = new Listeners<[uploader: Uploader, created: ImageRecord[]]>();
  const signer = new UrlSigner(await urlSigningSecret(config.browser.urlSigningSecret, settings), config.browser.imageUrlTtlSeconds);
  const openRemote = async (url: string) => (await openRemoteImage(url, { ...config.imports, maxBytes: config.limits.uploadBytes })).stream;
  // Leftovers of a crash: blobs without rows and temporary files (see orphan-sweep.ts).
  const orphanSweep = new OrphanSweep(blobs, repository, inFlight, logger);
  return {
    repository,
    cache,
    inFlight,
    signer,
    uploadsStored,
    services: {
      images: new ImageService({
        images: repository, lookup: cache, blobs, limits: config.limits, openRemote, monitor: storageHealth, inFlight, onStored: uploadsStored.tell,
      }),
      imageUrls: new ImageUrls(signer),
      imageDelivery: new ImageDelivery(signer, repository, blobs, new Thumbnails(blobs, metrics)),
    } satisfies Partial<Services>,
    workers: [orphanSweep] satisfies Worker[],
  };
}

export type Images = Awaited<ReturnType<typeof provideImages>>;
