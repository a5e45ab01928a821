import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListImagesDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { filesUnder, sha256 } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';

const IMPORT = 'mutation($url: String!) { importImage(url: $url) { id sha256 mimeType width height } }';

let server: http.Server;
let port: number;
let png: Buffer;
let open: Harness; // default rules: loopback refused
let allowed: Harness; // 127.0.0.1:<port> allow-listed by the operator

beforeAll(async () => {
  png = await makeImage({ format: 'png', width: 64, height: 32, color: '#336699' });
  server = http.createServer((req, res) => {
    if (req.url === '/photo.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (req.url === '/text') return res.writeHead(200, { 'content-type': 'image/png' }).end('not an image, whatever the header says');
    if (req.url === '/to-localhost') return res.writeHead(302, { location: `http://localhost:${port}/photo.png` }).end();
    if (req.url === '/endless') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      return pump();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  open = await startHarness();
  allowed = await startHarness({ env: { IMPORT_ALLOWED_HOSTS: `127.0.0.1:${port}`, MAX_UPLOAD_BYTES: String(512 * 1024), IMPORT_TIMEOUT_MS: '3000' } });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await open.close();
  await allowed.close();
});

const importUrl = (h: Harness, url: string) => h.gateway.client.request<{ importImage: { id: string; sha256: string; mimeType: string; width: number } }>(IMPORT, { url });

async function expectNothingStored(h: Harness) {
  expect((await h.gateway.client.request(ListImagesDocument, { first: 100 })).data!.images.edges).toEqual([]);
  expect(await filesUnder(path.join(h.gateway.dataDir, 'tmp'))).toEqual([]);
}

describe('importImage', () => {
  it('refuses loopback and private addresses with FORBIDDEN, naming the way to allow a host', async () => {
    for (const url of [`http://127.0.0.1:${port}/photo.png`, `http://localhost:${port}/photo.png`, 'http://10.1.2.3/x.png', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x.png']) {
      const response = await importUrl(open, url);
      expect(errorCodes(response), url).toEqual(['FORBIDDEN']);
      expect(response.errors![0]!.message).toMatch(/IMPORT_ALLOWED_HOSTS/);
    }
    await expectNothingStored(open);
  });

  it('refuses URLs that are not http(s) or carry credentials', async () => {
    for (const url of ['ftp://example.com/x.png', 'file:///etc/passwd', 'http://user:pass@example.com/x.png', 'not a url']) {
      expect(errorCodes(await importUrl(open, url)), url).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('imports from an allow-listed host, content-addressed like an upload', async () => {
    const response = await importUrl(allowed, `http://127.0.0.1:${port}/photo.png`);
    expect(response.errors).toBeUndefined();
    expect(response.data!.importImage).toMatchObject({ sha256: sha256(png), mimeType: 'image/png', width: 64 });
    const again = await importUrl(allowed, `http://127.0.0.1:${port}/photo.png`);
    expect(again.data!.importImage.id).toBe(response.data!.importImage.id);
  });

  it('checks redirects too: an allow-listed host redirecting to a loopback name is FORBIDDEN', async () => {
    expect(errorCodes(await importUrl(allowed, `http://127.0.0.1:${port}/to-localhost`))).toEqual(['FORBIDDEN']);
  });

  it('applies upload checks and caps to the body', async () => {
    expect(errorCodes(await importUrl(allowed, `http://127.0.0.1:${port}/text`))).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    expect(errorCodes(await importUrl(allowed, `http://127.0.0.1:${port}/endless`))).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(errorCodes(await importUrl(allowed, `http://127.0.0.1:${port}/missing`))).toEqual(['BAD_USER_INPUT']);
    expect(await filesUnder(path.join(allowed.gateway.dataDir, 'tmp'))).toEqual([]);
  });
});
