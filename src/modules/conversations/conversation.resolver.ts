import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../context.js';
import { ConnectionArgs, ConnectionType, toConnection } from '../../platform/graphql/connection.type.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { Conversation, MessageConnection, toConversation } from './conversation.type.js';
import type { MessageChunk as MessageChunkEvent } from './conversation.service.js';
import { MessageChunk } from './message-chunk.type.js';
import { Message, toMessage } from './message.type.js';

const ConversationConnection = ConnectionType(Conversation);

interface MessageStreamArgs {
  conversationId: string;
  text: string;
}

@Resolver(() => Conversation)
export class ConversationResolver {
  @Query(() => Conversation, { nullable: true })
  async conversation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Conversation | null> {
    const row = await ctx.services.conversations.find(ctx.caller.tenant, id);
    return row && toConversation(row);
  }

  @Query(() => ConversationConnection, { description: 'Conversations, newest first.' })
  async conversations(@Ctx() ctx: Context, @Args(() => ConnectionArgs) page: ConnectionArgs) {
    return toConnection(await ctx.services.conversations.page(ctx.caller.tenant, page), toConversation);
  }

  @Mutation(() => Conversation, { description: 'Starts a conversation about 1 to MAX_IMAGES_PER_QUESTION of your images; nothing is sent to the model yet.' })
  async startConversation(
    @Ctx() ctx: Context,
    // Declared last to first: type-graphql emits arguments in reverse.
    @Arg('title', () => String, { nullable: true }) title: string | null,
    @Arg('imageIds', () => [ID]) imageIds: string[],
  ): Promise<Conversation> {
    return toConversation(await ctx.services.conversations.start(ctx.caller.tenant, imageIds, title));
  }

  @Mutation(() => Message, {
    complexity: FIELD_COSTS.model,
    description: 'Sends a message and returns the stored reply. One message at a time per conversation: another meanwhile gets CONFLICT.',
  })
  async sendMessage(@Ctx() ctx: Context, @Arg('text', () => String) text: string, @Arg('conversationId', () => ID) conversationId: string): Promise<Message> {
    const { services, caller, signal } = ctx;
    return toMessage(await services.conversations.send(caller.tenant, services.payer.ofCaller(caller), conversationId, text, { signal }));
  }

  @Mutation(() => Boolean, { description: 'Deletes the conversation with its messages: true when it did, false when there was no such conversation (any more).' })
  deleteConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.conversations.delete(ctx.caller.tenant, id);
  }

  @Subscription(() => MessageChunk, {
    complexity: FIELD_COSTS.model,
    description: 'sendMessage as a stream (graphql-ws only): the reply in pieces as the model writes them, then a last chunk with the stored reply; then the stream completes.',
    subscribe: ({ args, context }) => {
      const { services, caller, signal } = context as Context;
      const { conversationId, text } = args as MessageStreamArgs;
      return services.conversations.stream(caller.tenant, services.payer.ofCaller(caller), conversationId, text, { signal });
    },
  })
  messageStream(
    @Root() chunk: MessageChunkEvent,
    @Arg('text', () => String) _text: string,
    @Arg('conversationId', () => ID) _conversationId: string,
  ): MessageChunk {
    if (chunk.error) throw chunk.error;
    return { delta: chunk.delta, message: chunk.message && toMessage(chunk.message) };
  }

  @FieldResolver(() => MessageConnection)
  async messages(@Root() conversation: Conversation, @Ctx() ctx: Context, @Args(() => ConnectionArgs) page: ConnectionArgs) {
    return toConnection(await ctx.services.conversations.messages(conversation, page), toMessage);
  }
}
