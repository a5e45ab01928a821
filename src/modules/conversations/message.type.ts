import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { Usage } from '../answers/usage.type.js';
import { FinishReason, toFinishReasonEnum } from '../answers/finish-reason.enum.js';
import type { MessageRecord } from './conversation.service.js';

export enum MessageRole {
  USER = 'USER',
  ASSISTANT = 'ASSISTANT',
}

registerEnumType(MessageRole, { name: 'MessageRole', description: 'Who wrote a message: the user, or the model (ASSISTANT).' });

@ObjectType({ description: 'One turn of a conversation.' })
export class Message {
  @Field(() => ID)
  id!: string;

  @Field(() => MessageRole)
  role!: MessageRole;

  @Field(() => String)
  text!: string;

  @Field(() => String, { nullable: true, description: 'The model that wrote it (replies only).' })
  model!: string | null;

  @Field(() => Usage, { nullable: true, description: 'What the endpoint billed for the turn: the images, the context sent and the reply (replies only).' })
  usage!: Usage | null;

  @Field(() => FinishReason, { nullable: true, description: 'Why the reply ended; LENGTH: cut by the token limit (replies only).' })
  finishReason!: FinishReason | null;

  @Field(() => Int, { nullable: true, description: 'Time the model took (replies only).' })
  latencyMs!: number | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export function toMessage(row: MessageRecord): Message {
  const billed = row.totalTokens !== null;
  return {
    id: row.id,
    role: row.role as MessageRole,
    text: row.text,
    model: row.model,
    usage: billed
      ? { promptTokens: row.promptTokens ?? 0, completionTokens: row.completionTokens ?? 0, totalTokens: row.totalTokens ?? 0, cachedTokens: row.cachedTokens ?? 0, model: row.model }
      : null,
    finishReason: row.role === 'ASSISTANT' ? toFinishReasonEnum(row.finishReason) : null,
    latencyMs: row.latencyMs,
    createdAt: row.createdAt,
  };
}
