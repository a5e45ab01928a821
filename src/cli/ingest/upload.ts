import type { ImageFile } from './find-images.js';
import { firstError, UnreachableError, type GatewayClient } from './gateway-client.js';
import type { Progress } from './progress.js';

export const UPLOAD_BATCH_SIZE = 10;

const UPLOAD_IMAGES = 'mutation IngestUpload($files: [Upload!]!) { uploadImages(files: $files) { id } }';

export type UploadOutcome = { file: ImageFile; imageId: string } | { file: ImageFile; errorCode: string; error: string };

export interface UploadRun {
  /** One per file, in the order given. */
  outcomes: UploadOutcome[];
  /** Files never tried because the run was interrupted. */
  notTried: ImageFile[];
}

export interface UploadOptions {
  batchSize?: number;
  progress?: Progress;
  /** Checked between requests: true stops uploading. */
  interrupted?: () => boolean;
}

/**
 * Uploads in batches. The gateway stores a batch whole or not at all, so when
 * a batch is refused its files are sent again one at a time: each good file is
 * stored, each refused one is reported with its error code, and the run goes on.
 */
export async function uploadAll(client: GatewayClient, files: readonly ImageFile[], options: UploadOptions = {}): Promise<UploadRun> {
  const batchSize = options.batchSize ?? UPLOAD_BATCH_SIZE;
  const outcomes: UploadOutcome[] = [];
  let failed = 0;
  const record = (outcome: UploadOutcome) => {
    outcomes.push(outcome);
    if ('errorCode' in outcome) {
      failed++;
      options.progress?.log(`warning: ${outcome.file.path} was not uploaded: ${outcome.errorCode}: ${outcome.error}`);
    }
    options.progress?.update({ value: outcomes.length, total: files.length, failed });
  };

  for (let start = 0; start < files.length; start += batchSize) {
    if (options.interrupted?.()) return { outcomes, notTried: files.slice(start) };
    const batch = files.slice(start, start + batchSize);
    const result = await send(client, batch);
    if (result.ok) {
      batch.forEach((file, i) => record({ file, imageId: result.ids[i]! }));
      continue;
    }
    if (batch.length === 1) {
      record({ file: batch[0]!, errorCode: result.code, error: result.message });
      continue;
    }
    for (const [i, file] of batch.entries()) {
      if (options.interrupted?.()) return { outcomes, notTried: [...batch.slice(i), ...files.slice(start + batchSize)] };
      const single = await send(client, [file]);
      record(single.ok ? { file, imageId: single.ids[0]! } : { file, errorCode: single.code, error: single.message });
    }
  }
  return { outcomes, notTried: [] };
}

type SendResult = { ok: true; ids: string[] } | { ok: false; code: string; message: string };

async function send(client: GatewayClient, files: readonly ImageFile[]): Promise<SendResult> {
  try {
    const result = await client.upload<{ uploadImages: Array<{ id: string }> }>(UPLOAD_IMAGES, files);
    const error = firstError(result);
    const ids = result.data?.uploadImages?.map((image) => image.id);
    if (!error && ids && ids.length === files.length) return { ok: true, ids };
    return { ok: false, code: error?.code ?? 'BAD_RESPONSE', message: error?.message ?? 'the gateway answered with an unexpected number of images' };
  } catch (error) {
    if (error instanceof UnreachableError) return { ok: false, code: 'GATEWAY_UNREACHABLE', message: error.message };
    // The file vanished or changed between the scan and the upload.
    return { ok: false, code: 'READ_ERROR', message: error instanceof Error ? error.message : String(error) };
  }
}
