/**
 * What a stored answer is: a caption (of a CaptionStyle) or the answer to a
 * question. Defined once here; the store, the services and the GraphQL enum
 * JobItemKind all take it from this object. Stored in a String column, for
 * the reason given in jobs/job-status.ts.
 */
export const AnswerKind = { CAPTION: 'CAPTION', QUESTION: 'QUESTION' } as const;
export type AnswerKind = keyof typeof AnswerKind;
