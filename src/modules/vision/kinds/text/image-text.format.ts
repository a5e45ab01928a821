import { z } from 'zod';
import { zodReplyFormat } from '../../../../model/reply-format.js';

/** The text read from an image as stored (the Answer row's JSON text). */
export interface ReadText {
  text: string;
  language: string | null;
}

export const imageTextFormat = zodReplyFormat({
  name: 'text_v1',
  schema: z.object({ text: z.string(), language: z.string().nullable() }),
  normalize: (value): ReadText => {
    const language = value.language?.trim() ?? '';
    return { text: value.text.trim(), language: language === '' ? null : language };
  },
});
