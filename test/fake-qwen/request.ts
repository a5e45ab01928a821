/** Reads a Chat Completions request body the way the packing contract defines it. */

export interface DataUrl {
  mime: string;
  bytes: Buffer;
}

export interface ChatRequest {
  model: string;
  prompts: string[];
  packed: boolean;
  /** Decoded data URL of the image part, null when absent or malformed. */
  image: DataUrl | null;
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

function imagePart(parts: Part[]): { url: string | null } | null {
  const p = parts.find((x) => x.type === 'image_url');
  if (!p) return null;
  const url = isRecord(p.image_url) && typeof p.image_url.url === 'string' ? p.image_url.url : null;
  return { url };
}

/** Every message's text, to apply OpenAI's rule that json_object mode needs the word "json". */
function allText(messages: unknown[]): string {
  return messages
    .map((m) => (isRecord(m) ? m.content : undefined))
    .flatMap((c) => (typeof c === 'string' ? [c] : Array.isArray(c) ? c.map((p: Part) => p?.text) : []))
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
}

export function readChatRequest(body: unknown): ChatRequest {
  const out: ChatRequest = { model: '', prompts: [], packed: false, image: null, problem: null };
  if (!isRecord(body)) return { ...out, problem: 'Request body must be a JSON object.' };
  if (typeof body.model === 'string') out.model = body.model;
  const messages = Array.isArray(body.messages) ? body.messages : null;

  const user = messages?.find(
    (m): m is { role: string; content: Part[] } =>
      isRecord(m) && m.role === 'user' && Array.isArray(m.content) && imagePart(m.content as Part[]) !== null,
  );
  if (user) {
    const texts = user.content.filter((p) => p.type === 'text' && typeof p.text === 'string');
    const text = texts.map((p) => p.text as string).join('\n');
    const questions = texts.length > 0 ? packedQuestions(text) : null;
    out.packed = questions !== null;
    out.prompts = questions ?? (texts.length > 0 ? [text] : []);
    const url = imagePart(user.content)?.url;
    out.image = url ? parseDataUrl(url) : null;
  }

  const rf = body.response_format;
  out.problem =
    !out.model ? "Missing required parameter: 'model'."
    : !messages || messages.length === 0 ? "Missing required parameter: 'messages'."
    : body.stream === true ? 'Streaming is not supported by this endpoint; send stream: false.'
    : !user ? 'No user message with an image_url part.'
    : out.prompts.length === 0 ? 'The user message with the image has no text part.'
    : !out.image ? 'The image_url must be a data URL: data:<mime>;base64,<data>.'
    : isRecord(rf) && rf.type === 'json_object' && !/json/i.test(allText(messages))
      ? "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    : null;
  return out;
}
