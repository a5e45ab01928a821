import { Field, ID, ObjectType } from 'type-graphql';
import { ConnectionType, type Connection } from '../../platform/graphql/connection.type.js';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { Usage } from '../answers/usage.type.js';
import { Image } from '../images/image.type.js';
import type { ConversationRecord } from './conversation.service.js';
import { Message } from './message.type.js';

export const MessageConnection = ConnectionType(Message);

@ObjectType({ description: 'A conversation about one or more images: they are sent once, with the first message; every turn after that adds text.' })
export class Conversation {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  title!: string | null;

  @Field(() => [Image], { description: 'In the order they are sent.' })
  images!: Image[];

  // Resolved (with its paging arguments) by ConversationResolver; declared here for its place in the SDL.
  @Field(() => MessageConnection, { description: 'Oldest first.' })
  messages?: Connection<Message>;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { description: 'When the last reply was stored (or the conversation started).' })
  updatedAt!: Date;

  @Field(() => Usage, { description: 'The sum of its messages’ usage.' })
  usage!: Usage;
}

export function toConversation(row: ConversationRecord): Conversation {
  const { id, title, images, createdAt, updatedAt, promptTokens, completionTokens, totalTokens, cachedTokens } = row;
  return { id, title, images, createdAt, updatedAt, usage: { promptTokens, completionTokens, totalTokens, cachedTokens, model: null } };
}
