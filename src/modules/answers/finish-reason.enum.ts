import { registerEnumType } from 'type-graphql';
import type { FinishReason as StoredReason } from '../../model/finish-reason.js';

/** Why the model's reply ended: the endpoint's `finish_reason`, as stored. */
export enum FinishReason {
  STOP = 'STOP',
  LENGTH = 'LENGTH',
  CONTENT_FILTER = 'CONTENT_FILTER',
  TOOL_CALLS = 'TOOL_CALLS',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(FinishReason, {
  name: 'FinishReason',
  description:
    'Why the reply ended: STOP (complete), LENGTH (cut by the token limit: the text is incomplete, and the next ask of the same thing goes to the model again with more room), CONTENT_FILTER, TOOL_CALLS, UNKNOWN (the endpoint did not say, or stored before this was kept).',
});

const BY_STORED: Record<StoredReason, FinishReason> = {
  stop: FinishReason.STOP,
  length: FinishReason.LENGTH,
  content_filter: FinishReason.CONTENT_FILTER,
  tool_calls: FinishReason.TOOL_CALLS,
};

export function toFinishReasonEnum(stored: string | null): FinishReason {
  return (stored !== null && BY_STORED[stored as StoredReason]) || FinishReason.UNKNOWN;
}
