/** Test double of the Qwen VL endpoint: a real HTTP server speaking OpenAI Chat Completions. */
export { startFakeQwen } from './server.js';
export { describeImage, expectedAnswer, meanColorHex } from './image.js';
export { defaultErrorBody } from './wire.js';
export type { FakeQwen, FakeQwenOptions, Fault, RecordedImage, RecordedRequest } from './types.js';
