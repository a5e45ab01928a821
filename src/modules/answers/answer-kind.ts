/**
 * What a stored answer is: a caption (of a CaptionStyle), the answer to a
 * question, or a structured result (its text is JSON): a kind registered in
 * modules/vision/kinds, which names itself in StructuredKindNames below
 * (declaration merging), so this module imports none of them. Stored in a
 * String column, for the reason given in jobs/job-status.ts.
 */
export const BUILT_IN_KINDS = ['CAPTION', 'QUESTION'] as const;

/** Filled in by modules/vision/kinds/index.ts: one key per registered kind. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StructuredKindNames {}

export type AnswerKind = (typeof BUILT_IN_KINDS)[number] | keyof StructuredKindNames;
