import pLimit from 'p-limit';
import { firstError, UnreachableError, type GatewayClient } from './gateway-client.js';
import type { Progress } from './progress.js';

/** Images read at once: each may be an upstream call, which the gateway bounds anyway. */
export const READ_TEXT_CONCURRENCY = 4;

const READ_TEXT = 'query IngestReadText($id: ID!) { image(id: $id) { text { text model } } }';

export type TextOutcome = { text: string; model: string } | { errorCode: string; error: string };

export interface ReadTextOptions {
  progress?: Progress;
  /** Checked before each image: true leaves the rest unread. */
  interrupted?: () => boolean;
  concurrency?: number;
}

/**
 * The text in each image (Image.text: cached by the gateway, so a second run
 * asks the model nothing), by image id. Read through the API rather than the
 * job, which has no text items; a failure is that image's outcome, not the run's.
 */
export async function readTexts(client: GatewayClient, imageIds: readonly string[], options: ReadTextOptions = {}): Promise<Map<string, TextOutcome>> {
  const outcomes = new Map<string, TextOutcome>();
  let failed = 0;
  const limit = pLimit(options.concurrency ?? READ_TEXT_CONCURRENCY);
  await Promise.all(
    imageIds.map((id) =>
      limit(async () => {
        const outcome = options.interrupted?.() ? { errorCode: 'INTERRUPTED', error: 'text not read: the run was interrupted' } : await readText(client, id);
        outcomes.set(id, outcome);
        if ('errorCode' in outcome) failed++;
        options.progress?.update({ value: outcomes.size, total: imageIds.length, failed });
      }),
    ),
  );
  return outcomes;
}

async function readText(client: GatewayClient, id: string): Promise<TextOutcome> {
  try {
    const result = await client.request<{ image: { text: { text: string; model: string } | null } | null }>(READ_TEXT, { id });
    const error = firstError(result);
    if (error) return { errorCode: error.code, error: error.message };
    const read = result.data?.image?.text;
    return read ? { text: read.text, model: read.model } : { errorCode: 'NOT_FOUND', error: `image ${id} was not found` };
  } catch (error) {
    if (error instanceof UnreachableError) return { errorCode: 'GATEWAY_UNREACHABLE', error: error.message };
    throw error;
  }
}
