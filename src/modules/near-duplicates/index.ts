import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform, Worker } from '../../platform-parts.js';
import type { Images } from '../images/index.js';
import { FingerprintRepository } from './fingerprint.repository.js';
import { NearDuplicateService } from './near-duplicate.service.js';
import { NearDuplicateResolver } from './near-duplicate.resolver.js';

/** Near-duplicate images: perceptual fingerprints (computed after upload, backfilled by `npm run fingerprints`) and Image.nearDuplicates. */
export const nearDuplicatesModule: GatewayModule<Services> = {
  name: 'near-duplicates',
  resolvers: [NearDuplicateResolver],
};

/** Perceptual fingerprints of new uploads, computed in the background once the rows are stored. */
export function provideNearDuplicates({ db, blobs, config, logger }: Platform, { images }: { images: Pick<Images, 'uploadsStored'> }) {
  const nearDuplicates = new NearDuplicateService(new FingerprintRepository(db), blobs, config.nearDuplicates, logger);
  images.uploadsStored.add((_uploader, created) => nearDuplicates.fingerprintLater(created));
  return { services: { nearDuplicates } satisfies Partial<Services>, workers: [{ stop: () => nearDuplicates.stop() }] satisfies Worker[] };
}

export type NearDuplicates = ReturnType<typeof provideNearDuplicates>;
