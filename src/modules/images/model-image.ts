import type { ModelImage } from '../../model/provider.js';
import type { ImageRecord } from './image.repository.js';

/** A stored image as the model boundary takes it: its facts from the row, its bytes (or how to read them) from the blob store. */
export function toModelImage(image: Pick<ImageRecord, 'mimeType' | 'width' | 'height' | 'sha256'>, data: ModelImage['data']): ModelImage {
  return { mimeType: image.mimeType, width: image.width, height: image.height, sha256: image.sha256, data };
}
