import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

// An S3-compatible server for the tests (s3rver: a real HTTP server speaking the S3 protocol, keeping
// objects in a folder), started by the tests on an ephemeral port.

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** What a gateway process needs to keep its blobs here (credentials included: s3rver takes S3RVER/S3RVER). */
  env: Record<string, string>;
  /**
   * Gives this process the credentials, for gateways booted in it: the SDK reads them from the
   * environment (its standard chain), never from the gateway's config.
   */
  useCredentialsHere(): void;
  /** Every object key in the bucket, sorted. */
  keys(): Promise<string[]>;
  object(key: string): Promise<Buffer>;
  put(key: string, bytes: Buffer): Promise<void>;
  remove(key: string): Promise<void>;
  /** Every request the server received so far (method and path, with its query), oldest first. */
  requests: Array<{ method: string; path: string }>;
  /** Stops answering (an outage) until `resume`; objects are kept. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startS3(): Promise<TestS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const bucket = `gateway-${randomBytes(4).toString('hex')}`;
  let server: { instance: S3rver; http: Server } | undefined;
  const requests: TestS3['requests'] = [];
  const listen = async (port: number) => {
    const instance = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
    const address = await instance.run();
    server = { instance, http: (instance as unknown as { httpServer: Server }).httpServer };
    server.http.on('request', (req: { method?: string; url?: string }) => requests.push({ method: req.method ?? '', path: req.url ?? '' }));
    return address.port;
  };
  const port = await listen(0);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const stop = async () => {
    if (!server) return;
    const { instance, http } = server;
    server = undefined;
    // The SDK keeps connections alive: close them, or close() waits for them.
    http.closeAllConnections();
    await instance.close();
  };
  return {
    endpoint,
    bucket,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    requests,
    useCredentialsHere: () => {
      process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    },
    keys: async () => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    object: async (key) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray()),
    put: async (key, bytes) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
    remove: async (key) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    pause: stop,
    resume: async () => {
      await listen(port);
    },
    close: async () => {
      await stop();
      client.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
