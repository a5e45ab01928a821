import type { FinishReason, ChatTurn } from '../../model/provider.js';
import { toFinishReason } from '../../model/finish-reason.js';
import { ZERO_USAGE, type ModelUsage } from '../../model/usage.js';
import type { Caller } from '../access/caller.js';
import type { TokenPayer } from '../access/token-payer.js';
import type { AnswerService } from '../answers/answer.service.js';
import type { AnswerRequest } from '../answers/answer-requests.js';
import { normalizeQuestion } from '../answers/prompts.js';
import type { ConversationService } from '../conversations/conversation.service.js';
import type { ImageRecord } from '../images/image.service.js';
import type { ImagesAnswerService } from '../vision/images-answer.service.js';
import { paramError, type ChatAsk } from './chat-request.js';
import type { ChatImages } from './chat-images.js';
import { canonicalJson, clientReplyFormat } from './reply-format.js';

/**
 * A Chat Completions request answered by the gateway's own services, so it
 * shares their cache, single flight, budgets and ledger
 * (docs/openai-compatible.md):
 *
 * - one user message about one image: a question (AnswerService, streamed
 *   in its streaming mode): the very cache askQuestion and answerStream
 *   use, system messages put before the question;
 * - one user message about several images: askAboutImages (ImagesAnswerService);
 * - earlier turns: a new conversation holding them, and the last user
 *   message sent as its turn (ConversationService): never cached.
 *
 * A `response_format` is a structured question, so it needs one image and one
 * message. Whatever the route, the result is a Completion, or its pieces.
 */

export interface Completion {
  /** The stored row's id: a Question, an ImagesAnswer or a conversation Message. */
  id: string;
  text: string;
  model: string;
  finishReason: FinishReason | null;
  /** What this response cost upstream: zero when it was served from a stored answer. */
  usage: ModelUsage;
  /** Served from a stored answer (or a call made for someone else), with no upstream call of its own. */
  cached: boolean;
}

/** A piece of the reply as written; the last one carries the whole completion (a stored answer is that one piece). */
export interface CompletionChunk {
  delta: string;
  completion?: Completion;
}

export interface ChatCompletionServices {
  answers: AnswerService;
  imagesAnswers: ImagesAnswerService;
  conversations: ConversationService;
  payer: TokenPayer;
}

type Route =
  | { kind: 'question'; request: AnswerRequest }
  | { kind: 'images'; images: ImageRecord[]; question: string }
  | { kind: 'conversation'; images: ImageRecord[]; history: ChatTurn[]; text: string };

type StoredResult = Pick<Completion, 'id' | 'text' | 'model'> & {
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  cachedTokens: number | null;
};

function completionOf(row: StoredResult, cached: boolean): Completion {
  const { id, text, model, finishReason } = row;
  const usage = cached
    ? ZERO_USAGE
    : { promptTokens: row.promptTokens ?? 0, completionTokens: row.completionTokens ?? 0, totalTokens: row.totalTokens ?? 0, cachedTokens: row.cachedTokens ?? 0 };
  return { id, text, model, finishReason: toFinishReason(finishReason), usage, cached };
}

/** The kind the door's calls and results are recorded under in the usage ledger, whichever service answers. */
export const CHAT_KIND = 'CHAT';

async function* once(completion: Completion): AsyncGenerator<CompletionChunk> {
  yield { delta: completion.text, completion };
}

export class ChatCompletionService {
  constructor(
    private readonly services: ChatCompletionServices,
    private readonly images: ChatImages,
    private readonly limits: { questionLength: number },
  ) {}

  /** The whole reply. */
  async complete(caller: Caller, ask: ChatAsk, signal?: AbortSignal): Promise<Completion> {
    return this.answer(caller, await this.route(caller, ask), signal);
  }

  /**
   * The reply as the model writes it. Refusals (bad input, the budget) are
   * thrown before the stream exists; a failure once it runs ends it with the
   * error. A structured reply, or one about several images, comes whole in
   * one piece: it is checked (or asked in one request) before any of it is sent.
   */
  async stream(caller: Caller, ask: ChatAsk, signal?: AbortSignal): Promise<AsyncIterable<CompletionChunk>> {
    const route = await this.route(caller, ask);
    const budget = this.services.payer.ofCaller(caller);
    if (route.kind === 'question' && !route.request.structured) return this.questionStream(await this.services.answers.stream(route.request, budget, signal));
    if (route.kind === 'conversation') {
      return this.conversationStream(await this.inConversation(caller, route, (id) => this.services.conversations.stream(caller.tenant, budget, id, route.text, { signal, usageKind: CHAT_KIND })));
    }
    return once(await this.answer(caller, route, signal));
  }

  private async answer(caller: Caller, route: Route, signal: AbortSignal | undefined): Promise<Completion> {
    const budget = this.services.payer.ofCaller(caller);
    switch (route.kind) {
      case 'question': {
        const [result] = await this.services.answers.answerAll([route.request], budget, signal);
        if (result instanceof Error) throw result;
        return completionOf(result!.record, result!.cached);
      }
      case 'images': {
        const { record, cached } = await this.services.imagesAnswers.ask(caller.tenant, budget, route.images.map((image) => image.id), route.question, { signal, usageKind: CHAT_KIND });
        return completionOf(record, cached);
      }
      case 'conversation': {
        const message = await this.inConversation(caller, route, (id) => this.services.conversations.send(caller.tenant, budget, id, route.text, { signal, usageKind: CHAT_KIND }));
        return completionOf({ ...message, model: message.model ?? '' }, false);
      }
    }
  }

  /** A new conversation holding the earlier turns, for `turn`; removed again when the turn is refused or fails, so no half-told exchange is left. */
  private async inConversation<T>(caller: Caller, route: Extract<Route, { kind: 'conversation' }>, turn: (conversationId: string) => Promise<T>): Promise<T> {
    const { conversations } = this.services;
    const conversation = await conversations.start(caller.tenant, route.images.map((image) => image.id), null, route.history);
    try {
      return await turn(conversation.id);
    } catch (error) {
      await conversations.delete(caller.tenant, conversation.id).catch(() => false);
      throw error;
    }
  }

  private async *questionStream(chunks: Awaited<ReturnType<AnswerService['stream']>>): AsyncGenerator<CompletionChunk> {
    for await (const chunk of chunks) {
      if (chunk.error) throw chunk.error;
      // A cached answer arrives as one chunk holding both the text and the answer.
      yield chunk.answer ? { delta: chunk.delta, completion: completionOf(chunk.answer.record, chunk.answer.cached) } : { delta: chunk.delta };
    }
  }

  private async *conversationStream(chunks: Awaited<ReturnType<ConversationService['stream']>>): AsyncGenerator<CompletionChunk> {
    for await (const chunk of chunks) {
      if (chunk.error) throw chunk.error;
      yield chunk.message ? { delta: '', completion: completionOf({ ...chunk.message, model: chunk.message.model ?? '' }, false) } : { delta: chunk.delta };
    }
  }

  /** Which service answers, with the request's images stored first (checked as uploads are). */
  private async route(caller: Caller, ask: ChatAsk): Promise<Route> {
    const turns = mergeRuns(ask.turns);
    if (ask.imageUrls.length === 0) throw paramError('messages', 'This gateway answers about images: put at least one image_url part in a user message.');
    if (ask.format && (turns.length > 1 || ask.imageUrls.length > 1)) {
      throw paramError('response_format', 'response_format needs a single user message about a single image here; send the earlier turns or the other images without it.');
    }
    const format = ask.format && clientReplyFormat(ask.format);
    const last = turns.at(-1)!.text;
    // Checked before any image is stored: a question that cannot be asked stores nothing.
    const question = turns.length === 1 ? normalizeQuestion(withInstructions(ask.instructions, last), this.limits.questionLength) : '';
    const images = await this.images.store(caller, ask.imageUrls);
    const unique = [...new Map(images.map((image) => [image.id, image])).values()];
    if (turns.length > 1) {
      const [first, ...rest] = turns.slice(0, -1);
      return { kind: 'conversation', images: unique, history: [{ role: 'user', text: withInstructions(ask.instructions, first!.text) }, ...rest], text: last };
    }
    if (unique.length > 1) return { kind: 'images', images: unique, question };
    const request: AnswerRequest = { image: unique[0]!, kind: 'QUESTION', style: null, prompt: question, refresh: false, usageKind: CHAT_KIND };
    if (!format) return { kind: 'question', request };
    // The format is part of the question's cache key: the same words with another schema are another question.
    return { kind: 'question', request: { ...request, prompt: `${question} response_format: ${canonicalJson(ask.format)}`, structured: { format, instruction: question } } };
  }
}

/** The instructions (system messages) before the user's words: how a question or a conversation's first message carries them. */
function withInstructions(instructions: string, text: string): string {
  return instructions === '' ? text : `${instructions}\n\n${text}`;
}

/** Consecutive messages of one role are one turn (a conversation alternates). */
function mergeRuns(turns: readonly ChatTurn[]): ChatTurn[] {
  const merged: ChatTurn[] = [];
  for (const turn of turns) {
    const previous = merged.at(-1);
    if (previous?.role === turn.role) merged[merged.length - 1] = { role: turn.role, text: `${previous.text}\n\n${turn.text}` };
    else merged.push(turn);
  }
  return merged;
}
