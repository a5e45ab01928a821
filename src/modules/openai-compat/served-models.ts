import type { Config } from '../../platform/config.js';
import { paramError } from './chat-request.js';

/**
 * The models the gateway serves, as GET /v1/models lists them: QWEN_MODEL,
 * the models of kinds routed to their own (QWEN_OCR_MODEL) and the
 * fallbacks. A request must name one of them; which one answers is the
 * gateway's routing, as for GraphQL (docs/openai-compatible.md).
 */
export class ServedModels {
  readonly names: readonly string[];

  constructor(model: Pick<Config['model'], 'name' | 'modelsByKind'>, fallbacks: ReadonlyArray<{ model: string }>) {
    this.names = [...new Set([model.name, ...Object.values(model.modelsByKind), ...fallbacks.map((fallback) => fallback.model)])];
  }

  /** Throws NOT_FOUND (OpenAI's 404 for an unknown model) naming what is served. */
  check(name: string): void {
    if (!this.names.includes(name)) throw paramError('model', `The model "${name}" is not served here; use one of: ${this.names.join(', ')} (GET /v1/models).`, 'NOT_FOUND');
  }
}
