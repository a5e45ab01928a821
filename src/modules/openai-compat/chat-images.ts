import { Readable } from 'node:stream';
import { GatewayError } from '../../platform/errors.js';
import type { ImageRecord, ImageService, Uploader } from '../images/image.service.js';

/**
 * The images of a chat request, stored as uploads are (content-addressed:
 * the same bytes are the tenant's one image, whatever door they came in by),
 * so they show up in the console, the lists and the exports. A data URL is
 * an upload; an http(s) URL is fetched as importImage fetches (the SSRF guard,
 * the byte cap, the deadline). Each is checked as an upload is.
 */

const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?;base64,/i;

/** Bytes a base64 text of this length decodes to, at most: refused before decoding when over the limit. */
const decodedSize = (base64Length: number) => Math.floor((base64Length * 3) / 4);

export class ChatImages {
  constructor(
    private readonly images: Pick<ImageService, 'upload' | 'importFromUrl'>,
    private readonly maxBytes: number,
  ) {}

  /** The stored images, in the order given; the first that fails (its index named) fails them all. */
  async store(uploader: Uploader, urls: readonly string[]): Promise<ImageRecord[]> {
    const stored: ImageRecord[] = [];
    for (const [index, url] of urls.entries()) {
      try {
        stored.push(await this.storeOne(uploader, url));
      } catch (error) {
        throw error instanceof GatewayError ? inPart(error, index) : error;
      }
    }
    return stored;
  }

  private storeOne(uploader: Uploader, url: string): Promise<ImageRecord> {
    const data = DATA_URL.exec(url);
    if (!data) {
      if (url.startsWith('data:')) throw new GatewayError('BAD_USER_INPUT', 'The image data URL is not base64: send data:<mime>;base64,<bytes>.');
      return this.images.importFromUrl(uploader, url);
    }
    const payload = url.slice(data[0].length);
    if (decodedSize(payload.length) > this.maxBytes + 2) {
      throw new GatewayError('PAYLOAD_TOO_LARGE', `The image is over ${this.maxBytes} bytes (MAX_UPLOAD_BYTES).`);
    }
    const bytes = Buffer.from(payload, 'base64');
    return this.images.upload(uploader, [async () => Readable.from([bytes])]).then(([image]) => image!);
  }
}

/** The refusal, saying which image_url part (in order of appearance) it is about. */
function inPart(error: GatewayError, index: number): GatewayError {
  return new GatewayError(error.code, `Image ${index + 1}: ${error.message}`, { cause: error, extensions: { ...error.extensions, param: 'messages', imageIndex: index }, httpStatus: error.httpStatus, retryable: error.retryable });
}
