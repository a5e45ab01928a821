/** Boots the real gateway in this process against the fake endpoint (test/support), on a temp DATA_DIR. */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { describeImage } from '../../test/fake-qwen/index.js';
import { GraphQLClient } from '../../test/support/client.js';
import { restartGateway, startHarness, type Harness } from '../../test/support/gateway.js';
import type { Fixture } from './fixtures.js';

export interface BenchGateway {
  harness: Harness;
  /** http://127.0.0.1:PORT/graphql — every request of the benchmark stays on the loopback address. */
  url: string;
  client: GraphQLClient;
  close(): Promise<void>;
}

const loopbackUrl = (harness: Harness) => `http://127.0.0.1:${harness.gateway.server.port}/graphql`;

export async function startBenchGateway(env: Record<string, string> = {}): Promise<BenchGateway> {
  const harness = await startHarness({ env });
  const gateway: BenchGateway = {
    harness,
    url: loopbackUrl(harness),
    client: new GraphQLClient(loopbackUrl(harness)),
    close: () => harness.close(),
  };
  return gateway;
}

/** Stops the gateway and starts a new one on the same DATA_DIR (memory empty, database and blobs kept). */
export async function restartBenchGateway(gateway: BenchGateway, env: Record<string, string>): Promise<void> {
  await restartGateway(gateway.harness, env);
  gateway.url = loopbackUrl(gateway.harness);
  gateway.client = new GraphQLClient(gateway.url);
}

export interface UploadedImage {
  id: string;
  sha256: string;
  byteSize: number;
}

const UPLOAD_MANY = 'mutation($files: [Upload!]!) { uploadImages(files: $files) { id sha256 byteSize } }';

/** Setup, not measured: uploads fixtures (`perRequest` files per request) and returns the stored images in order. */
export async function uploadFixtures(gateway: BenchGateway, fixtures: readonly Fixture[], perRequest = 10): Promise<UploadedImage[]> {
  const images: UploadedImage[] = [];
  for (let i = 0; i < fixtures.length; i += perRequest) {
    const batch = fixtures.slice(i, i + perRequest);
    const files = await Promise.all(
      batch.map(async (f, j) => ({ path: `variables.files.${j}`, file: { name: f.name, bytes: await readFile(f.path), type: 'image/jpeg' } })),
    );
    const response = await gateway.client.upload<{ uploadImages: UploadedImage[] }>(UPLOAD_MANY, { files: batch.map(() => null) }, files);
    if (response.errors || !response.data) throw new Error(`setup upload failed: ${JSON.stringify(response.errors)}`);
    images.push(...response.data.uploadImages);
  }
  return images;
}

/**
 * What the fake endpoint spends decoding one of these images (the same
 * function it runs per request), in ms: part of every upstream call's time
 * here that a real endpoint would not add to this process.
 */
export async function fakeDecodeMs(fixture: Fixture): Promise<number> {
  const bytes = await readFile(fixture.path);
  await describeImage(bytes, 'image/jpeg');
  const started = performance.now();
  for (let i = 0; i < 5; i++) await describeImage(bytes, 'image/jpeg');
  return Math.round(((performance.now() - started) / 5) * 10) / 10;
}
