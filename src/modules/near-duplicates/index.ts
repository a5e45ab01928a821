import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { NearDuplicateResolver } from './near-duplicate.resolver.js';

/** Near-duplicate images: perceptual fingerprints (computed after upload, backfilled by `npm run fingerprints`) and Image.nearDuplicates. */
export const nearDuplicatesModule: GatewayModule<Services> = {
  name: 'near-duplicates',
  resolvers: [NearDuplicateResolver],
};
