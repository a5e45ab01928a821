import { QwenVlProvider, type QwenVlOptions } from '../../src/model/qwen-vl-provider.js';
import { upstreamRecorder } from '../../src/model/upstream-metrics.js';
import { Metrics } from '../../src/platform/metrics.js';
import type { FakeQwen } from '../fake-qwen/index.js';

/** A QwenVlProvider on the fake endpoint, recording into its own Metrics; no SDK retries unless asked. */
export function qwenProviderOn(fake: FakeQwen, options: Partial<QwenVlOptions> = {}): { provider: QwenVlProvider; metrics: Metrics } {
  const metrics = new Metrics();
  const provider = new QwenVlProvider({
    baseUrl: fake.url,
    apiKey: undefined,
    model: 'qwen-vl-test',
    timeoutMs: 5_000,
    maxRetries: 0,
    maxConcurrency: 4,
    maxPixels: 1_000_000,
    maxPromptsPerCall: 8,
    completionTokensPerAnswer: 300,
    maxOutputTokens: null,
    highResolutionImages: false,
    recorder: upstreamRecorder(metrics, fake.url, 'qwen-vl-test'),
    ...options,
  });
  return { provider, metrics };
}
