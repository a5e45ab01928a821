/** Reads a Chat Completions request body the way the packing contract (and a conversation) defines it. */

export interface DataUrl {
  mime: string;
  bytes: Buffer;
}

/** One message as sent: its role, its text parts joined, and how many images it carried. */
export interface MessageSummary {
  role: string;
  text: string;
  images: number;
}

export interface ChatRequest {
  model: string;
  /** The last user message's text: 1 prompt, or the n questions of a packed request. */
  prompts: string[];
  packed: boolean;
  /** Every image part in message order, decoded from its data URL (null when malformed). */
  images: Array<DataUrl | null>;
  messages: MessageSummary[];
  /** `stream: true`: the reply goes out as server-sent chunks. */
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk carries the usage. */
  includeUsage: boolean;
  /** `max_tokens` as sent, null when absent. */
  maxTokens: number | null;
  /** DashScope's `vl_high_resolution_images: true`. */
  highResolution: boolean;
  /** DashScope's `enable_thinking`, null when absent. */
  enableThinking: boolean | null;
  /** DashScope's `thinking_budget`, null when absent. */
  thinkingBudget: number | null;
  /** First reason a real endpoint would answer 400, or null when the request is well-formed. */
  problem: string | null;
}

type Part = { type?: unknown; text?: unknown; image_url?: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strict on purpose: a lenient base64 decode would hide a gateway that mangles the image. */
export function parseDataUrl(url: string): DataUrl | null {
  const m = /^data:([a-z]+\/[a-z0-9.+-]+)(?:;[^,;]+=[^,;]*)*;base64,([A-Za-z0-9+/]*={0,2})$/i.exec(url);
  if (!m?.[1] || m[2] === undefined || m[2].length % 4 !== 0 || m[2].length === 0) return null;
  return { mime: m[1].toLowerCase(), bytes: Buffer.from(m[2], 'base64') };
}

/** `{questions: string[]}` with at least two strings means a packed request. */
export function packedQuestions(text: string): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.questions)) return null;
  const qs = parsed.questions;
  return qs.length >= 2 && qs.every((q) => typeof q === 'string') ? (qs as string[]) : null;
}

const parts = (message: unknown): Part[] =>
  isRecord(message) && Array.isArray(message.content) ? (message.content as Part[]).filter(isRecord) : [];

const imageUrls = (message: unknown): Array<string | null> =>
  parts(message)
    .filter((p) => p.type === 'image_url')
    .map((p) => (isRecord(p.image_url) && typeof p.image_url.url === 'string' ? p.image_url.url : null));

function textOf(message: unknown): string {
  if (!isRecord(message)) return '';
  if (typeof message.content === 'string') return message.content;
  return parts(message)
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text as string)
    .join('\n');
}

function summarize(message: unknown): MessageSummary {
  return { role: isRecord(message) && typeof message.role === 'string' ? message.role : '', text: textOf(message), images: imageUrls(message).length };
}

export function readChatRequest(body: unknown): ChatRequest {
  const out: ChatRequest = {
    model: '', prompts: [], packed: false, images: [], messages: [], stream: false, includeUsage: false, maxTokens: null, highResolution: false, enableThinking: null, thinkingBudget: null, problem: null,
  };
  if (!isRecord(body)) return { ...out, problem: 'Request body must be a JSON object.' };
  if (typeof body.model === 'string') out.model = body.model;
  out.stream = body.stream === true;
  out.includeUsage = out.stream && isRecord(body.stream_options) && body.stream_options.include_usage === true;
  out.maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : null;
  out.highResolution = body.vl_high_resolution_images === true;
  out.enableThinking = typeof body.enable_thinking === 'boolean' ? body.enable_thinking : null;
  out.thinkingBudget = typeof body.thinking_budget === 'number' ? body.thinking_budget : null;
  const messages = Array.isArray(body.messages) ? body.messages : null;
  out.messages = (messages ?? []).map(summarize);

  const withImage = messages?.find((m) => isRecord(m) && m.role === 'user' && imageUrls(m).length > 0);
  const lastUser = messages?.findLast((m) => isRecord(m) && m.role === 'user');
  const text = textOf(lastUser);
  const questions = text ? packedQuestions(text) : null;
  out.packed = questions !== null;
  out.prompts = questions ?? (text ? [text] : []);
  out.images = (messages ?? []).flatMap(imageUrls).map((url) => (url ? parseDataUrl(url) : null));

  const rf = body.response_format;
  out.problem =
    !out.model ? "Missing required parameter: 'model'."
    : !messages || messages.length === 0 ? "Missing required parameter: 'messages'."
    : body.stream !== undefined && typeof body.stream !== 'boolean' ? "'stream' must be a boolean."
    : !withImage ? 'No user message with an image_url part.'
    : textOf(withImage) === '' ? 'The user message with the image has no text part.'
    : out.prompts.length === 0 ? 'The last user message has no text.'
    : out.images.some((image) => image === null) ? 'The image_url must be a data URL: data:<mime>;base64,<data>.'
    : isRecord(rf) && rf.type === 'json_schema' && !(isRecord(rf.json_schema) && typeof rf.json_schema.name === 'string' && isRecord(rf.json_schema.schema))
      ? "'response_format.json_schema' needs a 'name' and a 'schema'."
    : isRecord(rf) && rf.type === 'json_object' && !/json/i.test(out.messages.map((m) => m.text).join('\n'))
      ? "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    : null;
  return out;
}
