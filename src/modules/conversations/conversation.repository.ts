import { randomUUID } from 'node:crypto';
import type { Conversation, Message } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import { fetchPage, NEWEST_FIRST, OLDEST_FIRST, type Page, type PageArgs, type Position } from '../../platform/database/pagination.js';
import type { ImageRecord } from '../images/image.service.js';

/** A conversation with its images, in the order they are sent. */
export type ConversationRecord = Omit<Conversation, 'replyingSince'> & { images: ImageRecord[] };
export type MessageRecord = Message;

export interface NewConversation {
  tenant: string;
  title: string | null;
  imageIds: readonly string[];
  /** Earlier turns a client brings along (a Chat Completions request's messages), stored as if they had happened: whole exchanges, user first. */
  history?: ReadonlyArray<{ role: 'USER' | 'ASSISTANT'; text: string }>;
}

/** A turn being answered: the claim on its conversation and the user message it stored. */
export interface Turn {
  conversation: ConversationRecord;
  userMessage: MessageRecord;
  /** The claim's own mark (replyingSince): a turn that lost its claim stores nothing. */
  claimedAt: Date;
}

export type Reply = Pick<Message, 'text' | 'model' | 'promptTokens' | 'completionTokens' | 'totalTokens' | 'cachedTokens' | 'latencyMs' | 'finishReason'>;

const WITH_IMAGES = { images: { orderBy: { position: 'asc' as const }, include: { image: true } } };

type Loaded = Conversation & { images: Array<{ image: ImageRecord }> };

function toRecord({ replyingSince: _claim, images, ...conversation }: Loaded): ConversationRecord {
  return { ...conversation, images: images.map((link) => link.image) };
}

/** Messages of a conversation are written by one turn at a time, so each can be stamped after the one before. */
const stampAfter = (previous: Date | undefined) => new Date(Math.max(Date.now(), (previous?.getTime() ?? 0) + 1));

/** Rows strictly before a position in newest-first order. */
const earlier = ({ createdAt, id }: Position) => ({ OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] });

/**
 * Conversations, their images and messages. A turn claims its conversation
 * with a conditional UPDATE of `replyingSince` (one statement, so it holds
 * across processes sharing the database) in the transaction that stores the
 * user message; the reply is stored, and the claim released, only by the
 * turn that still holds it.
 */
export class ConversationRepository {
  constructor(private readonly db: Db) {}

  /** The conversation and its image links in one transaction. */
  async create(conversation: NewConversation): Promise<ConversationRecord> {
    const { tenant, title, imageIds, history = [] } = conversation;
    // Stamped a millisecond apart, just before now: the next turn is stamped after them.
    const start = Date.now() - history.length;
    const messages = history.map(({ role, text }, i) => ({ id: randomUUID(), role, text, createdAt: new Date(start + i) }));
    const created = await this.db.conversation.create({
      data: { id: randomUUID(), tenant, title, images: { create: imageIds.map((imageId, position) => ({ imageId, position })) }, messages: { create: messages } },
      include: WITH_IMAGES,
    });
    return toRecord(created);
  }

  async findForTenant(tenant: string, id: string): Promise<ConversationRecord | null> {
    const found = await this.db.conversation.findFirst({ where: { id, tenant }, include: WITH_IMAGES });
    return found && toRecord(found);
  }

  /** Newest first. */
  async page(tenant: string, args: PageArgs): Promise<Page<ConversationRecord>> {
    const page = await fetchPage(
      args,
      'desc',
      (window) => this.db.conversation.findMany({ where: { tenant, AND: window.where.AND }, orderBy: window.orderBy, include: WITH_IMAGES, take: window.take }),
      () => this.db.conversation.count({ where: { tenant } }),
    );
    return { ...page, items: page.items.map(toRecord) };
  }

  /** Its messages and image links go with it (ON DELETE CASCADE). False when the tenant has no such conversation. */
  async deleteForTenant(tenant: string, id: string): Promise<boolean> {
    const { count } = await this.db.conversation.deleteMany({ where: { id, tenant } });
    return count > 0;
  }

  /** Oldest first. */
  messages(conversationId: string, args: PageArgs): Promise<Page<MessageRecord>> {
    return fetchPage(
      args,
      'asc',
      (window) => this.db.message.findMany({ where: { conversationId, AND: window.where.AND }, orderBy: window.orderBy, take: window.take }),
      () => this.db.message.count({ where: { conversationId } }),
    );
  }

  /** Up to `take` messages strictly before `position`, newest first. */
  messagesBefore(conversationId: string, position: Position, take: number): Promise<MessageRecord[]> {
    return this.db.message.findMany({ where: { conversationId, ...earlier(position) }, orderBy: NEWEST_FIRST, take });
  }

  firstUserMessage(conversationId: string): Promise<MessageRecord | null> {
    return this.db.message.findFirst({ where: { conversationId, role: 'USER' }, orderBy: OLDEST_FIRST });
  }

  /**
   * Claims the conversation (unclaimed, or claimed before `staleBefore`: that
   * turn's process died) and stores the user message, in one transaction.
   * The question of a turn that never finished (its process died) is removed
   * first, so messages stay whole exchanges. null: not claimed (unknown to
   * this tenant, or another turn holds it).
   */
  async beginTurn(tenant: string, id: string, text: string, staleBefore: Date): Promise<Turn | null> {
    return this.db.$transaction(async (tx) => {
      const claimedAt = new Date();
      const claim = await tx.conversation.updateMany({
        where: { id, tenant, OR: [{ replyingSince: null }, { replyingSince: { lt: staleBefore } }] },
        data: { replyingSince: claimedAt },
      });
      if (claim.count === 0) return null;
      const answered = await tx.message.findFirst({ where: { conversationId: id, role: 'ASSISTANT' }, orderBy: NEWEST_FIRST, select: { createdAt: true } });
      await tx.message.deleteMany({ where: { conversationId: id, role: 'USER', ...(answered ? { createdAt: { gt: answered.createdAt } } : {}) } });
      const userMessage = await tx.message.create({
        data: { id: randomUUID(), conversationId: id, role: 'USER', text, createdAt: stampAfter(answered?.createdAt) },
      });
      const conversation = await tx.conversation.findUniqueOrThrow({ where: { id }, include: WITH_IMAGES });
      return { conversation: toRecord(conversation), userMessage, claimedAt };
    });
  }

  /**
   * Stores the reply, adds its usage to the conversation's and releases the
   * claim, in one transaction. null: the claim was lost (the conversation
   * was deleted, or the turn outlived QWEN_DEADLINE_MS and another took
   * over), and nothing is stored.
   */
  async finishTurn(turn: Turn, reply: Reply): Promise<MessageRecord | null> {
    const { conversation, userMessage, claimedAt } = turn;
    return this.db.$transaction(async (tx) => {
      const createdAt = stampAfter(userMessage.createdAt);
      const released = await tx.conversation.updateMany({
        where: { id: conversation.id, replyingSince: claimedAt },
        data: {
          replyingSince: null,
          updatedAt: createdAt,
          promptTokens: { increment: reply.promptTokens ?? 0 },
          completionTokens: { increment: reply.completionTokens ?? 0 },
          totalTokens: { increment: reply.totalTokens ?? 0 },
          cachedTokens: { increment: reply.cachedTokens ?? 0 },
        },
      });
      if (released.count === 0) return null;
      return tx.message.create({ data: { ...reply, id: randomUUID(), conversationId: conversation.id, role: 'ASSISTANT', createdAt } });
    });
  }

  /** A turn that got no reply leaves nothing: its user message goes, and its claim (if still its own) is released. */
  async abandonTurn(turn: Turn): Promise<void> {
    await this.db.$transaction([
      this.db.message.deleteMany({ where: { id: turn.userMessage.id } }),
      this.db.conversation.updateMany({ where: { id: turn.conversation.id, replyingSince: turn.claimedAt }, data: { replyingSince: null } }),
    ]);
  }
}
