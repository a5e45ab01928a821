import { BUILT_IN_KINDS } from '../../answers/answer-kind.js';
import { moderation } from './moderation/index.js';
import { text } from './text/index.js';
import { detection } from './detection/index.js';

/**
 * The structured result kinds, one line each: a kind is its folder beside
 * this file and its line here (docs/development.md, "Adding a result kind").
 * Their order is the schema's: the Image fields, the lists, the JobItemKind values.
 */
export const RESULT_KINDS = [
  moderation,
  text,
  detection,
] as const;

/** Every kind of stored answer: the answers module's own, then the registered ones. */
export const ANSWER_KINDS = [...BUILT_IN_KINDS, ...RESULT_KINDS.map((kind) => kind.name)];

type RegisteredName = (typeof RESULT_KINDS)[number]['name'];

declare module '../../answers/answer-kind.js' {
  // The registered names become AnswerKinds without answers importing this file.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface StructuredKindNames extends Record<RegisteredName, true> {}
}
