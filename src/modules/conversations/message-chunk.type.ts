import { Field, ObjectType } from 'type-graphql';
import { Message } from './message.type.js';

@ObjectType({ description: 'One event of messageStream: a piece of the reply as the model writes it; the last one carries the stored reply.' })
export class MessageChunk {
  @Field(() => String, { description: 'Text to append; empty in the last chunk.' })
  delta!: string;

  @Field(() => Message, { nullable: true, description: 'The stored reply, in the last chunk only.' })
  message!: Message | null;
}
