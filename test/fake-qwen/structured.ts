/**
 * Structured replies (`response_format`): a valid instance of the schema the
 * gateway asked for, derived from the image like every other answer. Which
 * schema is told by its name (json_schema.name, or the schema's `title` when
 * it arrives spelt out in the instruction): moderation*, text*, detection*;
 * any other schema gets a plain instance of itself (schemaInstance), so a
 * new result kind needs nothing here.
 * Boxes come in the convention of the model asked: relative 0..1000 for a
 * model whose name contains "qwen3" (Qwen3-VL), else absolute pixels of the
 * frame the model saw the image received in (Qwen2.5-VL: frame.ts). Each
 * object found covers the centre of the image: from a quarter to three
 * quarters of its width and height.
 */
import { seenFrame } from './frame.js';
import type { RecordedImage } from './types.js';

type Seen = Pick<RecordedImage, 'width' | 'height' | 'meanColor'>;
type Schema = Record<string, unknown>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the instruction says before the schema it spells out (json_object mode and packed calls). */
const SCHEMA_MARKER = 'matching this JSON schema: ';

/** The schema a prompt spells out, or null when it asks for no JSON. */
export function schemaInPrompt(prompt: string): Schema | null {
  const at = prompt.lastIndexOf(SCHEMA_MARKER);
  if (at < 0) return null;
  try {
    const parsed: unknown = JSON.parse(prompt.slice(at + SCHEMA_MARKER.length));
    return isRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** `response_format` of a request: its type, and the schema with its name when it is json_schema. */
export function responseFormatOf(body: unknown): { type: string; name: string; schema: Schema } | null {
  if (!isRecord(body) || !isRecord(body.response_format) || typeof body.response_format.type !== 'string') return null;
  const { type, json_schema: js } = body.response_format;
  if (type !== 'json_schema') return { type, name: '', schema: {} };
  return isRecord(js) && typeof js.name === 'string' && isRecord(js.schema) ? { type, name: js.name, schema: js.schema } : { type, name: '', schema: {} };
}

/** Red-dominant images are the fake's "unsafe" ones: flagged for GORE and VIOLENCE. */
function isRed(meanColor: string): boolean {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(meanColor.slice(i, i + 2), 16)) as [number, number, number];
  return r >= 0xc0 && g <= 0x60 && b <= 0x60;
}

function detectionLabels(schema: Schema): string[] {
  const objects = (schema.properties as Schema | undefined)?.objects as Schema | undefined;
  const label = ((objects?.items as Schema | undefined)?.properties as Schema | undefined)?.label as Schema | undefined;
  return Array.isArray(label?.enum) ? label.enum.filter((l): l is string => typeof l === 'string') : ['object'];
}

/** How the model behind the fake sees: its name, and whether `vl_high_resolution_images` was asked for. */
export interface Viewer {
  model: string;
  highResolution: boolean;
}

/** Corners of the centre half of the image, in the convention of the model. */
export function centreBox(image: Pick<RecordedImage, 'width' | 'height'>, { model, highResolution }: Viewer): number[] {
  if (/qwen3/i.test(model)) return [250, 250, 750, 750];
  const frame = seenFrame(image.width, image.height, highResolution);
  return [Math.round(frame.width / 4), Math.round(frame.height / 4), Math.round((frame.width * 3) / 4), Math.round((frame.height * 3) / 4)];
}

/**
 * A value the schema accepts, the first choice everywhere: an enum's first
 * value, a string "x", 0, false, each array at its minimum length (one item
 * when it has none, so lists are not always empty), every property.
 */
export function schemaInstance(schema: Schema, root: Schema = schema): unknown {
  if (typeof schema.$ref === 'string') return schemaInstance(resolveRef(schema.$ref, root), root);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const choices = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) return schemaInstance(choices[0]!, root);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type];
  const type = types.find((t) => t !== 'null') ?? types[0];
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {}).map(([key, value]) => [key, schemaInstance(value, root)]));
    case 'array': {
      const length = typeof schema.minItems === 'number' ? schema.minItems : 1;
      return Array.from({ length }, () => schemaInstance(isRecord(schema.items) ? schema.items : {}, root));
    }
    case 'string':
      return 'x';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** `#/$defs/Name` (or `#/definitions/…`) in the root schema. */
function resolveRef(ref: string, root: Schema): Schema {
  let at: unknown = root;
  for (const part of ref.replace(/^#\//, '').split('/')) at = isRecord(at) ? at[part] : undefined;
  return isRecord(at) ? at : {};
}

/** An instance of the named schema about this image: the known kinds' answers, any other schema's plain instance. */
export function structuredInstance(name: string, schema: Schema, image: Seen, viewer: Viewer): unknown {
  const about = `${image.width}x${image.height} ${image.meanColor}`;
  if (name.startsWith('moderation')) {
    const red = isRed(image.meanColor);
    return { flagged: red, categories: red ? ['VIOLENCE', 'GORE'] : [], rationale: `${about} ${red ? 'looks like blood' : 'nothing unsafe'}` };
  }
  if (name.startsWith('text')) return { text: `TEXT ${about}`, language: 'en' };
  if (name.startsWith('detection')) return { objects: detectionLabels(schema).map((label) => ({ label, bbox_2d: centreBox(image, viewer) })) };
  return schemaInstance(schema);
}

/** The instance for a prompt that spells out its schema, or null when it asks for no JSON. */
export function instanceForPrompt(prompt: string, image: Seen, viewer: Viewer): unknown {
  const schema = schemaInPrompt(prompt);
  return schema && typeof schema.title === 'string' ? structuredInstance(schema.title, schema, image, viewer) : null;
}
