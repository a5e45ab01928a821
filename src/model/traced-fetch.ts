/**
 * A span per upstream Chat Completions request (each HTTP attempt, SDK
 * retries included), after the OpenTelemetry GenAI semantic conventions,
 * made around the fetch the OpenAI client uses: only there are the reply's
 * id, model and finish reasons, streamed or not, to be seen, and only there
 * can the W3C `traceparent` of the span go out with the request.
 * Installed only when tracing is on (create-provider.ts). Prompts and replies
 * are recorded only with LOG_PROMPTS, and images never.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { promptsCarried } from './packing.js';
import { GATEWAY_ATTRIBUTES, TRACER_NAME } from '../platform/tracing/attributes.js';

export interface TracedFetchOptions {
  baseUrl: string;
  /** LOG_PROMPTS: the text of the messages and of the reply go on the span (gen_ai.input/output.messages). */
  recordPrompts: boolean;
}

type ContentPart = { type?: string; text?: string };
interface ChatMessage {
  role?: string;
  content?: string | ContentPart[] | null;
}
interface ChatBody {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  messages?: ChatMessage[];
}
/** What a reply (or a streamed chunk) says about itself. */
interface ReplyPart {
  id?: string;
  model?: string;
  choices?: Array<{ finish_reason?: string | null; message?: { content?: string | null }; delta?: { content?: string | null } }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** DashScope by its host; anything else is some OpenAI-compatible server (vLLM, Ollama, ...). */
export function providerName(baseUrl: string): string {
  const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : '';
  return host.endsWith('.aliyuncs.com') ? 'dashscope' : 'openai_compatible';
}

const textOf = (content: ChatMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('\n');

/** gen_ai.input.messages: text parts only (an image part is left out, never its bytes). */
const inputMessages = (messages: ChatMessage[]) =>
  JSON.stringify(messages.map((message) => ({ role: message.role, parts: [{ type: 'text', content: textOf(message.content) }] })));

function parseBody(body: unknown): ChatBody {
  if (typeof body !== 'string') return {};
  try {
    return JSON.parse(body) as ChatBody;
  } catch {
    return {};
  }
}

/** Gathers a reply's facts, whole or chunk by chunk, onto the span. */
class ReplyRecorder {
  private readonly finishReasons: string[] = [];
  private text = '';

  constructor(
    private readonly span: Span,
    private readonly recordPrompts: boolean,
  ) {}

  add(part: ReplyPart): void {
    if (typeof part !== 'object' || part === null) return;
    if (part.id) this.span.setAttribute('gen_ai.response.id', part.id);
    if (part.model) this.span.setAttribute('gen_ai.response.model', part.model);
    for (const choice of part.choices ?? []) {
      if (choice.finish_reason) this.finishReasons.push(choice.finish_reason);
      const text = choice.message?.content ?? choice.delta?.content;
      if (typeof text === 'string') this.text += text;
    }
    if (part.usage) {
      this.span.setAttribute('gen_ai.usage.input_tokens', part.usage.prompt_tokens ?? 0);
      this.span.setAttribute('gen_ai.usage.output_tokens', part.usage.completion_tokens ?? 0);
    }
  }

  end(error?: unknown): void {
    if (this.finishReasons.length > 0) this.span.setAttribute('gen_ai.response.finish_reasons', this.finishReasons);
    if (this.recordPrompts) this.span.setAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: this.text }] }]));
    if (error !== undefined) failed(this.span, error instanceof Error ? error.name : 'stream_error');
    this.span.end();
  }
}

function failed(span: Span, errorType: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Passes a Server-Sent Events body through, handing each `data:` JSON to `recorder`; ends the span when the body ends or is cancelled. */
function observedStream(body: ReadableStream<Uint8Array>, recorder: ReplyRecorder): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  const readLines = (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const data = line.startsWith('data:') ? line.slice(5).trim() : '';
      if (data === '' || data === '[DONE]') continue;
      try {
        recorder.add(JSON.parse(data) as ReplyPart);
      } catch {
        // not JSON: the SDK reports the broken stream itself
      }
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          readLines(`${decoder.decode()}\n`);
          recorder.end();
          controller.close();
          return;
        }
        readLines(decoder.decode(value, { stream: true }));
        controller.enqueue(value);
      } catch (error) {
        recorder.end(error);
        controller.error(error);
      }
    },
    async cancel(reason) {
      recorder.end(reason ?? new Error('cancelled'));
      await reader.cancel(reason);
    },
  });
}

export function tracedFetch(options: TracedFetchOptions, inner: typeof fetch = fetch): typeof fetch {
  const tracer = trace.getTracer(TRACER_NAME);
  const provider = providerName(options.baseUrl);
  const server = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : undefined;
  return async (input, init) => {
    const body = parseBody(init?.body);
    const messages = body.messages ?? [];
    const system = messages.find((message) => message.role === 'system');
    const lastUser = messages.findLast((message) => message.role === 'user');
    const span = tracer.startSpan(`chat ${body.model ?? ''}`.trim(), {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': provider,
        ...(body.model ? { 'gen_ai.request.model': body.model } : {}),
        ...(body.max_tokens ? { 'gen_ai.request.max_tokens': body.max_tokens } : {}),
        ...(server ? { 'server.address': server.hostname, 'server.port': Number(server.port || (server.protocol === 'https:' ? 443 : 80)) } : {}),
        [GATEWAY_ATTRIBUTES.promptsPacked]: promptsCarried(system ? textOf(system.content) : undefined, lastUser ? textOf(lastUser.content) : ''),
        [GATEWAY_ATTRIBUTES.streamed]: body.stream === true,
        ...(options.recordPrompts ? { 'gen_ai.input.messages': inputMessages(messages) } : {}),
      },
    });
    const spanContext = trace.setSpan(context.active(), span);
    const headers = new Headers(init?.headers);
    propagation.inject(spanContext, headers, { set: (carrier, key, value) => carrier.set(key, value) });
    let response: Response;
    try {
      response = await context.with(spanContext, () => inner(input, { ...init, headers }));
    } catch (error) {
      failed(span, error instanceof Error ? error.name : 'fetch_error');
      span.end();
      throw error;
    }
    span.setAttribute('http.response.status_code', response.status);
    const recorder = new ReplyRecorder(span, options.recordPrompts);
    if (!response.ok) {
      failed(span, String(response.status));
      recorder.end();
      return response;
    }
    if (body.stream && response.body) {
      return new Response(observedStream(response.body, recorder), { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    try {
      recorder.add((await response.clone().json()) as ReplyPart);
    } catch {
      // not JSON: the SDK reports the unusable reply itself
    }
    recorder.end();
    return response;
  };
}
