/** Test double of the Qwen VL endpoint: a real HTTP server speaking OpenAI Chat Completions. */
export { startFakeQwen } from './server.js';
export { describeImage, expectedAnswer, expectedImagesAnswer, meanColorHex } from './image.js';
export { defaultErrorBody } from './wire.js';
export { centreBox } from './structured.js';
export { seenFrame } from './frame.js';
export { BILLING_ERRORS, type BillingCode } from './wire.js';
export { fakeEmbedding } from './embeddings.js';
export type { FakeQwen, FakeQwenOptions, Fault, RecordedEmbeddingRequest, RecordedImage, RecordedMessage, RecordedRequest } from './types.js';
