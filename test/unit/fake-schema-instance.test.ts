import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { zodReplyFormat } from '../../src/model/reply-format.js';
import { structuredInstance } from '../fake-qwen/structured.js';

// A result kind the fake has never heard of still gets a reply its own format accepts.
describe('the fake’s answer to a format it does not know', () => {
  const image = { width: 40, height: 30, meanColor: '#808080' };
  const viewer = { model: 'qwen-vl-max', highResolution: false };

  it('is an instance of the schema sent, which the format parses', () => {
    const format = zodReplyFormat({
      name: 'colours_v1',
      schema: z.object({
        colours: z.array(z.object({ name: z.string(), share: z.number(), tone: z.enum(['WARM', 'COOL']) })),
        dominant: z.string().nullable(),
        vivid: z.boolean(),
      }),
      normalize: (value) => value,
    });
    const reply = structuredInstance(format.name, format.schema as Record<string, unknown>, image, viewer);
    expect(reply).toEqual({ colours: [{ name: 'x', share: 0, tone: 'WARM' }], dominant: 'x', vivid: false });
    expect(() => format.parse(reply, { model: viewer.model })).not.toThrow();
  });

  it('keeps the known kinds’ answers, which derive from the image', () => {
    expect(structuredInstance('text_v1', {}, image, viewer)).toEqual({ text: 'TEXT 40x30 #808080', language: 'en' });
  });
});
