import type { ImageLookup, ImageRecord } from '../../../src/modules/images/image.repository.js';

/** Stored images in a Map: the ImageLookup the services read, plus `add` for a test's fixtures. */
export class MemoryImages implements ImageLookup {
  readonly rows = new Map<string, ImageRecord>();
  private made = 0;

  /** An image row; `sha256` names the bytes, so two tenants' uploads of the same file share it. */
  add(tenant: string, sha256: string, fields: Partial<ImageRecord> = {}): ImageRecord {
    const image: ImageRecord = {
      id: `img-${++this.made}`,
      tenant,
      sha256,
      mimeType: 'image/png',
      width: 280,
      height: 280,
      byteSize: 1000,
      createdAt: new Date(),
      ...fields,
    };
    this.rows.set(image.id, image);
    return image;
  }

  async findByIds(tenant: string, ids: readonly string[]): Promise<ImageRecord[]> {
    return ids.flatMap((id) => {
      const image = this.rows.get(id);
      return image && image.tenant === tenant ? [image] : [];
    });
  }
}
