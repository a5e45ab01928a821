import { z } from 'zod';
import type { ChatTurn } from '../../model/provider.js';
import { badInput, GatewayError, type ErrorCode } from '../../platform/errors.js';

/**
 * A Chat Completions request as OpenAI's SDKs send it, read into what the
 * gateway acts on: the model, the instructions (system and developer
 * messages), the user and assistant turns in order, the images of the user
 * turns (data URLs or http(s) URLs, in order of appearance), the reply
 * format and whether to stream. Sampling parameters (temperature, top_p,
 * seed, stop, penalties, max_tokens) are accepted and not forwarded: the
 * gateway sends its own settings, so they neither change the answer nor
 * split the cache (docs/openai-compatible.md). What it cannot honour
 * (tools, n > 1, audio) is refused rather than ignored.
 */

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().min(1), detail: z.string().optional() }) });
const userPart = z.discriminatedUnion('type', [textPart, imagePart]);

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer']), content: z.union([z.string(), z.array(textPart)]) }),
  z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(userPart)]) }),
  z.object({ role: z.literal('assistant'), content: z.union([z.string(), z.array(textPart)]) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (at most 64)'),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const body = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.unknown()).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  response_format: z.unknown().optional(),
  n: z.literal(1, 'only n = 1 is supported').nullish(),
});

/** Fields whose meaning the gateway cannot keep: refused, named, rather than silently dropped. */
const UNSUPPORTED = ['tools', 'functions', 'tool_choice', 'function_call', 'audio', 'modalities', 'prediction', 'logprobs'] as const;

/** The format the reply must have: any JSON object, or one matching a JSON Schema. */
export type ReplyFormatRequest = { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown> };

export interface ChatAsk {
  model: string;
  /** The system and developer messages' text, in order, joined by blank lines ('' when none). */
  instructions: string;
  /** User and assistant turns in order; the first and the last are the user's. */
  turns: ChatTurn[];
  /** Every image_url of the user turns, in order. */
  imageUrls: string[];
  format: ReplyFormatRequest | null;
  stream: boolean;
  /** stream_options.include_usage: a last chunk carries the usage. */
  includeUsage: boolean;
}

/** A coded refusal naming the request field it is about (OpenAI's `param`). */
export function paramError(param: string, message: string, code: ErrorCode = 'BAD_USER_INPUT'): GatewayError {
  return new GatewayError(code, message, { extensions: { param } });
}

function firstIssue(error: z.ZodError, prefix: string): GatewayError {
  const issue = error.issues[0]!;
  const param = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return paramError(param, `${param || 'body'}: ${issue.message}.`);
}

export function readChatRequest(raw: unknown): ChatAsk {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badInput('The body must be a JSON object (Content-Type: application/json).');
  const unsupported = UNSUPPORTED.find((field) => (raw as Record<string, unknown>)[field] != null);
  if (unsupported) throw paramError(unsupported, `"${unsupported}" is not supported by this gateway; send the request without it.`);
  const parsed = body.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, '');
  const { model, messages, stream, stream_options: streamOptions } = parsed.data;

  const instructions: string[] = [];
  const turns: ChatTurn[] = [];
  const imageUrls: string[] = [];
  messages.forEach((entry, index) => {
    const read = message.safeParse(entry);
    if (!read.success) throw firstIssue(read.error, `messages.${index}`);
    const { role, content } = read.data;
    const text = typeof content === 'string' ? content : content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
    if (role === 'system' || role === 'developer') return void instructions.push(text);
    if (typeof content !== 'string') for (const part of content) if (part.type === 'image_url') imageUrls.push(part.image_url.url);
    turns.push({ role, text });
  });
  if (turns[0]?.role !== 'user') throw paramError('messages', 'The first message after the system messages must be the user\'s.');
  if (turns.at(-1)!.role !== 'user') throw paramError('messages', 'The last message must be the user\'s: it is the one answered.');

  return {
    model,
    instructions: instructions.join('\n\n').trim(),
    turns,
    imageUrls,
    format: replyFormatOf(parsed.data.response_format),
    stream: stream ?? false,
    includeUsage: Boolean(stream && streamOptions?.include_usage),
  };
}

function replyFormatOf(raw: unknown): ReplyFormatRequest | null {
  if (raw == null) return null;
  const parsed = responseFormat.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, 'response_format');
  const format = parsed.data;
  if (format.type === 'text') return null;
  if (format.type === 'json_object') return format;
  return { type: 'json_schema', name: format.json_schema.name, schema: format.json_schema.schema ?? { type: 'object' } };
}
