import { z } from 'zod';
import type { ReplyFormat } from '../../model/provider.js';
import { paramError, type ReplyFormatRequest } from './chat-request.js';

/**
 * A client's `response_format` as the provider boundary takes it
 * (model/reply-format.ts): the schema passes through to the endpoint as
 * sent, and the reply is checked against it (zod's reading of the JSON
 * Schema) before anything is stored or returned; a reply that does not
 * conform is asked once more, then fails with MODEL_BAD_RESPONSE.
 * json_object asks for, and checks, any JSON object.
 */

const ANY_OBJECT = { type: 'object' } as const;

export function clientReplyFormat(format: ReplyFormatRequest): ReplyFormat {
  const name = format.type === 'json_schema' ? format.name : 'json_object';
  const schema = format.type === 'json_schema' ? format.schema : ANY_OBJECT;
  let check: z.ZodType;
  try {
    check = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw paramError('response_format.json_schema.schema', `The JSON Schema cannot be used: ${(error as Error).message}.`);
  }
  return { name, schema, parse: (value) => check.parse(value), fromClient: true };
}

/** Sorted keys at every level: one text for one value, whatever order the client wrote it in (the cache key). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}
