import { z } from 'zod';
import { badResponse, type ModelCallError } from './model-call-error.js';

/**
 * Structured replies. A prompt may ask for a JSON value of a given shape: it
 * carries a ReplyFormat (a name, a JSON Schema for the endpoint, and `parse`,
 * which checks the reply and normalizes it). The provider sends the schema as
 * `response_format: {type: "json_schema"}` when the prompt goes alone, and in
 * the instruction text (`withSchema`) when it is packed with other prompts or
 * the endpoint does not take json_schema. Whatever the route, the stored
 * answer is `JSON.stringify(parse(reply))`: a reply `parse` refuses is never stored.
 */

/** What `parse` may need besides the value: the model that wrote it (its box convention, say). */
export interface ReplyContext {
  model: string;
}

export interface ReplyFormat {
  /** The json_schema name sent upstream (letters, digits, _ and -). */
  readonly name: string;
  /** A JSON Schema valid in strict mode: every property required, additionalProperties false. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** The value checked (zod) and normalized; throws when it does not conform. */
  parse(value: unknown, context: ReplyContext): unknown;
  /**
   * A format a client wrote (a `response_format` through the OpenAI-compatible
   * door): the endpoint refusing its json_schema may be the schema's fault, so
   * that request falls back to json_object alone, and the endpoint is not
   * switched to json_object for everyone's formats.
   */
  readonly fromClient?: boolean;
}

export interface StructuredPrompt {
  /** The instruction as sent alone (with json_schema), already normalized: part of the cache key. */
  readonly text: string;
  readonly format: ReplyFormat;
}

/** A plain prompt is answered with text; a structured one with JSON (its answer's text is that JSON). */
export type ModelPrompt = string | StructuredPrompt;

export function isStructured(prompt: ModelPrompt): prompt is StructuredPrompt {
  return typeof prompt !== 'string';
}

/**
 * The instruction with its schema spelled out, for json_object mode and for
 * packed calls; the schema's `title` is the format's name, so the reply's
 * shape can be told apart without the json_schema envelope.
 */
export function withSchema(prompt: StructuredPrompt): string {
  return `${prompt.text}\nReply with only a JSON object matching this JSON schema: ${JSON.stringify({ title: prompt.format.name, ...prompt.format.schema })}`;
}

/** The text a prompt adds to a packed call or a lone one in json_object mode (token estimates use it too). */
export function promptText(prompt: ModelPrompt): string {
  return isStructured(prompt) ? withSchema(prompt) : prompt;
}

const FENCED = /```(?:json|JSON)?[ \t]*\n?([\s\S]*?)\n?```/;

function tryJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The JSON value of a reply: bare, inside a Markdown code fence, or wrapped in
 * prose ("Here is the JSON: {…}"), as VL models that ignore `response_format`
 * write it (DashScope documents json_schema for its text models, not the VL
 * ones); undefined when no JSON is found. The value is still checked by the
 * format afterwards, so reading it out of prose cannot admit a wrong shape.
 */
export function parseJsonReply(content: string): unknown {
  const trimmed = content.trim();
  const bare = tryJson(trimmed);
  if (bare !== undefined) return bare;
  const fenced = tryJson(FENCED.exec(trimmed)?.[1]?.trim());
  if (fenced !== undefined) return fenced;
  // The outermost object in prose: from its first "{" to its last "}".
  const start = trimmed.indexOf('{');
  const end = trimmed.lastIndexOf('}');
  return start >= 0 && end > start ? tryJson(trimmed.slice(start, end + 1)) : undefined;
}

/**
 * A structured answer as stored (JSON text), from a reply value: the object
 * itself, or a string holding its JSON (a packed reply may carry either).
 * Throws MODEL_BAD_RESPONSE naming the format when it does not conform.
 */
export function structuredAnswer(value: unknown, format: ReplyFormat, context: ReplyContext): string {
  const decoded = typeof value === 'string' ? parseJsonReply(value) : value;
  if (decoded === undefined) throw badResponse(`its ${format.name} reply was not JSON`);
  try {
    return JSON.stringify(format.parse(decoded, context));
  } catch (error) {
    throw notConforming(format, error);
  }
}

function notConforming(format: ReplyFormat, cause: unknown): ModelCallError {
  return badResponse(`its ${format.name} reply did not match the expected JSON shape`, cause);
}

export interface ZodReplyFormatOptions<Asked extends z.ZodType, Accepted extends z.ZodType> {
  /** The json_schema name. */
  name: string;
  /** The shape asked for (sent as JSON Schema). */
  schema: Asked;
  /** The shape accepted, when looser than the one asked for (entries then checked one by one in `normalize`); default: `schema`. */
  accepts?: Accepted;
  /** The accepted value as stored. */
  normalize: (value: z.output<Accepted>, context: ReplyContext) => unknown;
}

/** A ReplyFormat from zod schemas: one definition gives both the JSON Schema sent and the check of the reply. */
export function zodReplyFormat<Asked extends z.ZodType, Accepted extends z.ZodType = Asked>({
  name,
  schema,
  accepts,
  normalize,
}: ZodReplyFormatOptions<Asked, Accepted>): ReplyFormat {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-7' });
  const check: z.ZodType = accepts ?? schema;
  return {
    name,
    schema: jsonSchema,
    parse: (value, context) => normalize(check.parse(value) as z.output<Accepted>, context),
  };
}
