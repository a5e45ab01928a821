import type { ChatRequest, ChatTurn } from '../../model/provider.js';
import type { Page, PageArgs, Position } from '../../platform/database/pagination.js';
import { asError, GatewayError, notFound } from '../../platform/errors.js';
import { releaseReservation, type TokenBudget, type TokenReservation } from '../access/caller.js';
import type { ImageRepository } from '../images/image.repository.js';
import type { ContextMessage, ContextPlan, ConversationContext } from './conversation-context.js';
import { conversationImageIds, conversationTitle, earlierTurns, messageText } from './conversation-input.js';
import type { ConversationRecord, ConversationRepository, MessageRecord, Turn } from './conversation.repository.js';
import { PushStream } from './push-stream.js';
import type { Payer, UsageLedger } from '../analytics/usage-ledger.js';
import type { ModelCalls } from '../engine/model-calls.js';

/** The records this service hands out, for its callers (resolvers, routes) to name without reaching the repository. */
export type { ConversationRecord, MessageRecord } from './conversation.repository.js';

export interface ConversationLimits {
  /** MAX_IMAGES_PER_QUESTION. */
  maxImages: number;
  /** MAX_QUESTION_LENGTH, in characters. */
  messageLength: number;
  /** Completion tokens reserved for a reply (TOKEN_RESERVE_PER_ANSWER), a thinking model's reasoning included (thinking.ts). */
  completionTokens: number;
  /** QWEN_DEADLINE_MS: no reply takes longer, so an older claim belongs to a process that died. */
  claimTtlMs: number;
}

/** One event of messageStream: a piece of the reply, then (with an empty delta) the stored reply, or why there is none. */
export type MessageChunk = { delta: string; message: MessageRecord | null; error?: undefined } | { delta: ''; message: null; error: Error };

export interface TurnOptions {
  /** The client is gone: the upstream call stops and the turn leaves nothing behind. */
  signal?: AbortSignal;
  onDelta?: (delta: string) => void;
  /** The kind its usage is recorded under (default CONVERSATION): CHAT for the OpenAI-compatible door. */
  usageKind?: string;
}

/** A claimed turn with its context planned and its tokens set aside, ready to ask. */
/** The usage kind of a conversation turn's call and reply. */
const CONVERSATION_KIND = 'CONVERSATION';

interface PreparedTurn {
  turn: Turn;
  payer: Payer;
  request: ChatRequest;
  /** The estimated prompt tokens of the request: the context planned, images included. */
  promptTokens: number;
  reservation: TokenReservation;
}

/** Messages read per query while walking back through a conversation for its context. */
const HISTORY_PAGE = 100;


/** What ConversationService is made of. */
export interface ConversationParts {
  conversations: ConversationRepository;
  images: Pick<ImageRepository, 'findByIds'>;
  calls: ModelCalls;
  context: ConversationContext;
  limits: ConversationLimits;
  ledger?: UsageLedger;
}

/**
 * Conversations about images, tenant-scoped (another tenant's conversation
 * is as unknown as one that does not exist). A turn is all or nothing: the
 * user message is stored with the claim on the conversation, the reply with
 * the claim's release; a turn that gets no reply (the model failed, the
 * budget refused it, the client left) removes its user message again, so a
 * conversation only ever holds whole exchanges. One turn at a time per
 * conversation: a second one meanwhile is refused with CONFLICT.
 */
export class ConversationService {
  private readonly conversations: ConversationRepository;
  private readonly images: Pick<ImageRepository, 'findByIds'>;
  private readonly calls: ModelCalls;
  private readonly context: ConversationContext;
  private readonly limits: ConversationLimits;
  private readonly ledger?: UsageLedger;

  constructor(parts: ConversationParts) {
    ({ conversations: this.conversations, images: this.images, calls: this.calls, context: this.context, limits: this.limits, ledger: this.ledger } = parts);
  }

  /**
   * `history`: earlier exchanges the client brings along (user first,
   * alternating, ending with a reply), stored as the conversation's first
   * messages; the next `send` is then answered with them as context.
   */
  async start(tenant: string, imageIds: readonly string[], title: string | null | undefined, history: readonly ChatTurn[] = []): Promise<ConversationRecord> {
    const ids = conversationImageIds(imageIds, this.limits.maxImages);
    const checkedTitle = conversationTitle(title);
    const turns = earlierTurns(history, this.limits.messageLength);
    const found = new Set((await this.images.findByIds(tenant, ids)).map((image) => image.id));
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw notFound('image', missing);
    return this.conversations.create({ tenant, title: checkedTitle, imageIds: ids, history: turns });
  }

  find(tenant: string, id: string): Promise<ConversationRecord | null> {
    return this.conversations.findForTenant(tenant, id);
  }

  page(tenant: string, args: PageArgs): Promise<Page<ConversationRecord>> {
    return this.conversations.page(tenant, args);
  }

  /** Oldest first. The caller has already found the conversation in its tenant. */
  messages(conversation: Pick<ConversationRecord, 'id'>, args: PageArgs): Promise<Page<MessageRecord>> {
    return this.conversations.messages(conversation.id, args);
  }

  /** True when it was deleted; false when this tenant has no such conversation (any more). */
  delete(tenant: string, id: string): Promise<boolean> {
    return this.conversations.deleteForTenant(tenant, id);
  }

  /** Stores `text` as the user's turn and returns the stored reply. */
  async send(tenant: string, budget: TokenBudget, conversationId: string, text: string, options: TurnOptions = {}): Promise<MessageRecord> {
    return this.reply(await this.prepare(tenant, budget, conversationId, text), options);
  }

  /**
   * sendMessage as a stream: the reply's pieces as the model writes them,
   * then a last chunk with the stored reply. Refusals (unknown conversation,
   * a turn already running, the budget) throw before the stream exists; a
   * reader who leaves (or `signal`) stops the upstream call, and the turn
   * leaves nothing behind but the charge for what the call cost so far.
   */
  async stream(tenant: string, budget: TokenBudget, conversationId: string, text: string, { signal, usageKind }: Omit<TurnOptions, 'onDelta'> = {}): Promise<AsyncIterableIterator<MessageChunk>> {
    const prepared = await this.prepare(tenant, budget, conversationId, text);
    const left = new AbortController();
    const chunks = new PushStream<MessageChunk>(() => left.abort(new Error('the subscriber left')));
    const gone = signal ? AbortSignal.any([signal, left.signal]) : left.signal;
    this.reply(prepared, { signal: gone, usageKind, onDelta: (delta) => chunks.push({ delta, message: null }) }).then(
      (message) => chunks.push({ delta: '', message }),
      (error: unknown) => chunks.push({ delta: '', message: null, error: asError(error) }),
    ).finally(() => chunks.end());
    return chunks;
  }

  /** Claims the conversation, stores the user message, plans the context and reserves its tokens. */
  private async prepare(tenant: string, budget: TokenBudget, conversationId: string, text: string): Promise<PreparedTurn> {
    const checked = messageText(text, this.limits.messageLength);
    const turn = await this.conversations.beginTurn(tenant, conversationId, checked, new Date(Date.now() - this.limits.claimTtlMs));
    if (!turn) throw await this.refusal(tenant, conversationId);
    try {
      const plan = await this.planContext(turn);
      const reservation = await budget.reserve(plan.tokens + this.limits.completionTokens);
      const images = await this.calls.read(turn.conversation.images).catch((error: unknown) => {
        void releaseReservation(reservation);
        throw error;
      });
      return { turn, payer: { tenant, apiKeyId: budget.apiKeyId }, reservation, promptTokens: plan.tokens, request: { images, turns: plan.turns } };
    } catch (error) {
      await this.abandon(turn);
      throw error;
    }
  }

  /** Asks the model, settles the reservation to what it billed (or, cut short, to what it cost so far) and stores the reply. */
  private async reply({ turn, payer, request, promptTokens, reservation }: PreparedTurn, { signal, onDelta, usageKind = CONVERSATION_KIND }: TurnOptions): Promise<MessageRecord> {
    try {
      const answer = await this.calls.chat(request, { payer, reservation, signal, onDelta, usageKind, promptTokens: () => promptTokens, maxCompletionTokens: this.limits.completionTokens });
      const { text, usage, latencyMs, finishReason } = answer;
      const stored = await this.conversations.finishTurn(turn, { text, model: answer.model ?? this.calls.model, latencyMs, finishReason, ...usage });
      if (!stored) {
        throw busy('The conversation changed while this reply was written (it was deleted, or the reply outlived QWEN_DEADLINE_MS and another message took over); the reply was not stored.');
      }
      this.ledger?.served(payer, stored.model ?? this.calls.model, usageKind, null);
      return stored;
    } catch (error) {
      await this.abandon(turn);
      throw error;
    }
  }

  private async planContext({ conversation, userMessage }: Turn): Promise<ContextPlan> {
    const first = await this.conversations.firstUserMessage(conversation.id);
    const earlier = first && first.id !== userMessage.id ? first : null;
    return this.context.plan(conversation.images, userMessage, earlier, earlier ? this.between(userMessage, earlier) : []);
  }

  /** The messages between two of a conversation's, newest first, read a page at a time (only as far as the context reads). */
  private async *between(latest: MessageRecord, first: MessageRecord): AsyncGenerator<ContextMessage> {
    let position: Position = latest;
    for (;;) {
      const page = await this.conversations.messagesBefore(latest.conversationId, position, HISTORY_PAGE);
      for (const message of page) {
        if (message.id === first.id) return;
        yield message;
      }
      if (page.length < HISTORY_PAGE) return;
      position = page.at(-1)!;
    }
  }

  /** Why a turn could not claim the conversation. */
  private async refusal(tenant: string, id: string): Promise<GatewayError> {
    if (!(await this.conversations.findForTenant(tenant, id))) return notFound('conversation', id);
    return busy('Another message in this conversation is still being answered. Wait for its reply, then send again.');
  }

  /** Best effort: should it fail, the claim expires after QWEN_DEADLINE_MS and the next turn removes the question. */
  private async abandon(turn: Turn): Promise<void> {
    await this.conversations.abandonTurn(turn).catch(() => {});
  }
}

const busy = (message: string) => new GatewayError('CONFLICT', message, { retryable: true });

