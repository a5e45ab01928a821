/**
 * Structured results (moderation verdicts, text read from images, objects
 * located with boxes: the kinds in ./kinds). Each is an Answer row of its
 * kind whose text is validated JSON, computed through AnswerService, so the
 * cache, single flight, packing with other prompts about the same image,
 * token budgets and jobs apply unchanged.
 *
 * For other modules (jobs, upload moderation): build a kind's request with
 * `request` and hand it to `AnswerService.answerAll` (as a job item does).
 */
import type { AnswerRequest } from '../answers/answer-requests.js';
import type { ImageRecord } from '../images/image.service.js';
import type { StructuredKind, VisionSettings } from './kinds/result-kind.js';

export class VisionService {
  constructor(private readonly settings: VisionSettings) {}

  /**
   * The kind's request about the image, asked with its field's arguments.
   * The cache key's prompt is the reply format's versioned name before the
   * instruction ("moderation_v1: Review this image..."): a new schema version
   * is a new key. The model is sent the instruction alone.
   */
  request<Args>(kind: StructuredKind<Args>, image: ImageRecord, refresh: boolean, args: Args): AnswerRequest {
    const structured = kind.structured(image, this.settings, args);
    return { image, kind: kind.name, style: null, prompt: `${structured.format.name}: ${structured.instruction}`, refresh, structured };
  }

}
