import { describe, expect, it } from 'vitest';
import { ImageCache } from '../../src/modules/images/image-cache.js';
import { MemoryImages } from '../support/memory/images.js';

/** The stored images, counting the ids each read asks for. */
class CountingImages extends MemoryImages {
  readonly asked: string[][] = [];

  override findByIds(tenant: string, ids: readonly string[]) {
    this.asked.push([...ids]);
    return super.findByIds(tenant, ids);
  }
}

describe('the image cache', () => {
  it('reads an image once, then serves it from memory', async () => {
    const store = new CountingImages();
    const image = store.add('acme', 'a'.repeat(64));
    const cache = new ImageCache(store);
    expect(await cache.findByIds('acme', [image.id])).toEqual([image]);
    expect(await cache.findByIds('acme', [image.id])).toEqual([image]);
    expect(store.asked).toEqual([[image.id]]);
  });

  it('reads only the ids it does not hold, in one call', async () => {
    const store = new CountingImages();
    const [one, two, three] = ['1', '2', '3'].map((c) => store.add('acme', c.repeat(64)));
    const cache = new ImageCache(store);
    await cache.findByIds('acme', [one!.id]);
    const found = await cache.findByIds('acme', [one!.id, two!.id, three!.id]);
    expect(found.map((image) => image.id).sort()).toEqual([one!.id, two!.id, three!.id].sort());
    expect(store.asked).toEqual([[one!.id], [two!.id, three!.id]]);
  });

  it('asks the store again for an image it was told to forget (deleted)', async () => {
    const store = new CountingImages();
    const image = store.add('acme', 'c'.repeat(64));
    const cache = new ImageCache(store);
    await cache.findByIds('acme', [image.id]);
    cache.forget([image.id]);
    await cache.findByIds('acme', [image.id]);
    expect(store.asked).toEqual([[image.id], [image.id]]);
  });

  it('hides a cached image from other tenants, as the database would', async () => {
    const store = new CountingImages();
    const image = store.add('acme', 'b'.repeat(64));
    const cache = new ImageCache(store);
    await cache.findByIds('acme', [image.id]);
    expect(await cache.findByIds('other', [image.id])).toEqual([]);
  });

  it('does not remember an unknown id: a row written later is found at once', async () => {
    const store = new CountingImages();
    const cache = new ImageCache(store);
    expect(await cache.findByIds('acme', ['img-1'])).toEqual([]);
    const image = store.add('acme', 'c'.repeat(64));
    expect(image.id).toBe('img-1');
    expect(await cache.findByIds('acme', ['img-1'])).toEqual([image]);
  });
});
