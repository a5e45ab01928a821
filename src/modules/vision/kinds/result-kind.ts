import type { ResolverClass } from '../../../platform/graphql/schema.js';
import type { AnswerKind } from '../../answers/answer-kind.js';
import type { StructuredRequest } from '../../answers/answer-requests.js';
import type { ImageRecord } from '../../images/image.service.js';
import type { BoxFormatSetting } from './detection/boxes.js';

/**
 * A structured result kind (docs/development.md, "Adding a result kind"):
 * a vision result about one image whose answer is JSON of a given shape.
 * Each kind is a folder beside this file; kinds/index.ts registers them.
 */

/** The gateway's vision settings, as the kinds build their requests from them. */
export interface VisionSettings {
  /** MODERATION_POLICY, trimmed; '' when unset. */
  moderationPolicy: string;
  /** QWEN_BOX_FORMAT. */
  boxFormat: BoxFormatSetting;
  /** QWEN_MAX_PIXELS and QWEN_HIGH_RESOLUTION_IMAGES: with the model, the frame absolute boxes are in. */
  maxPixels: number;
  highResolution: boolean;
}

/**
 * How a kind asks the model: the stored kind's name, and the reply format,
 * instruction and rules of one request, from the settings and the arguments
 * of its field (none: `void`). VisionService turns it into model work.
 */
export interface StructuredKind<Args = void> {
  readonly name: AnswerKind;
  structured(image: ImageRecord, settings: VisionSettings, args: Args): StructuredRequest;
}

/** A registered kind: how it asks, and what the gateway offers of it. */
export interface ResultKind<Name extends string = string> {
  readonly name: Name;
  /** Its GraphQL resolvers, in schema order: the Image field, the stored list (and any mutation), the result's `image` field. Called once, by the vision module. */
  readonly resolvers: () => ResolverClass[];
}

/** A kind's definition, its name kept literal so the registry can name the kinds as types. */
export function defineResultKind<const Name extends string>(kind: ResultKind<Name>): ResultKind<Name> {
  return kind;
}
