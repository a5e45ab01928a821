import { describe, expect, it } from 'vitest';
import { readChatRequest } from '../../src/modules/openai-compat/chat-request.js';
import { canonicalJson, clientReplyFormat } from '../../src/modules/openai-compat/reply-format.js';

// How the OpenAI-compatible door reads a Chat Completions body (src/modules/openai-compat/chat-request.ts).

const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };

const refusal = (body: unknown) => {
  try {
    readChatRequest(body);
  } catch (error) {
    return error;
  }
  throw new Error('not refused');
};

describe('readChatRequest', () => {
  it('reads instructions, turns, images in order and the stream options; sampling parameters are accepted', () => {
    const ask = readChatRequest({
      model: 'qwen-vl-max',
      temperature: 0.2,
      max_tokens: 50,
      seed: 7,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: [image, { type: 'text', text: 'What is it?' }, { type: 'image_url', image_url: { url: 'https://example.com/b.png' } }] },
        { role: 'assistant', content: 'A cat.' },
        { role: 'user', content: 'Its colour?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'text' },
    });
    expect(ask).toEqual({
      model: 'qwen-vl-max',
      instructions: 'Be brief.\n\nAnswer in English.',
      turns: [
        { role: 'user', text: 'What is it?' },
        { role: 'assistant', text: 'A cat.' },
        { role: 'user', text: 'Its colour?' },
      ],
      imageUrls: ['data:image/png;base64,AAAA', 'https://example.com/b.png'],
      format: null,
      stream: true,
      includeUsage: true,
    });
  });

  it('refuses what it cannot honour, naming the field', () => {
    const messages = [{ role: 'user', content: [image, { type: 'text', text: 'hi' }] }];
    expect(refusal({ model: 'm', messages, tools: [{ type: 'function' }] })).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { param: 'tools' } });
    expect(refusal({ model: 'm', messages, n: 2 })).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { param: 'n' } });
    expect(refusal({ model: 'm', messages: [...messages, { role: 'tool', content: 'x', tool_call_id: '1' }] })).toMatchObject({ extensions: { param: 'messages.1.role' } });
    expect(refusal({ model: 'm', messages: [...messages, { role: 'assistant', content: 'Hi.' }] })).toMatchObject({ message: expect.stringContaining('last message') });
    expect(refusal({ model: 'm', messages: [{ role: 'assistant', content: 'Hi.' }, ...messages] })).toMatchObject({ message: expect.stringContaining('first message') });
    expect(refusal({ messages })).toMatchObject({ extensions: { param: 'model' } });
    expect(refusal({ model: 'm', messages, response_format: { type: 'json_schema', json_schema: { name: 'bad name!' } } })).toMatchObject({ extensions: { param: 'response_format.json_schema.name' } });
    expect(refusal([])).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('reads json_object and json_schema formats', () => {
    const messages = [{ role: 'user', content: [image, { type: 'text', text: 'hi' }] }];
    expect(readChatRequest({ model: 'm', messages, response_format: { type: 'json_object' } }).format).toEqual({ type: 'json_object' });
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    expect(readChatRequest({ model: 'm', messages, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } } }).format).toEqual({ type: 'json_schema', name: 'answer', schema });
  });
});

describe('client reply formats', () => {
  it('check the reply against the JSON Schema sent, and refuse a schema that cannot be read', () => {
    const format = clientReplyFormat({ type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false } });
    expect(format.parse({ a: 'x' }, { model: 'm' })).toEqual({ a: 'x' });
    expect(() => format.parse({ a: 1 }, { model: 'm' })).toThrow();
    expect(() => clientReplyFormat({ type: 'json_schema', name: 'bad', schema: { type: 'bogus' } })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(clientReplyFormat({ type: 'json_object' }).parse({ any: ['thing'] }, { model: 'm' })).toEqual({ any: ['thing'] });
  });

  it('key a format by its content, whatever the order of its keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: [2, { e: 0, f: 1 }] }, b: 1 }));
  });
});
