/**
 * What a stored answer is: a caption (of a CaptionStyle), the answer to a
 * question, or a structured vision result (its text is JSON; modules/vision). Defined once here; the store, the services and the GraphQL enum
 * JobItemKind all take it from this object. Stored in a String column, for
 * the reason given in jobs/job-status.ts.
 */
export const AnswerKind = { CAPTION: 'CAPTION', QUESTION: 'QUESTION', MODERATION: 'MODERATION', TEXT: 'TEXT', DETECTION: 'DETECTION' } as const;
export type AnswerKind = keyof typeof AnswerKind;
