import { getNullableType, isListType, validate, type DocumentNode, type GraphQLCompositeType, type GraphQLField, type GraphQLSchema } from 'graphql';
// Its CommonJS build: its ESM build imports graphql/index.mjs by name, a second copy of graphql
// whose classes fail instanceof checks against the schema (Node loads graphql's CommonJS build).
import { createComplexityRule, type ComplexityEstimator } from 'graphql-query-complexity/cjs';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../connection.type.js';


/** Cost of a field that states none, scalars included. */
const FIELD_COST = 1;

/**
 * Costs of fields far dearer than a stored read, which their resolvers state
 * next to the field (type-graphql's `complexity` option, read back here from
 * the field's extensions).
 */
export const FIELD_COSTS = {
  /** May send a prompt (and an image of hundreds of tokens) to the model, or queue such work. */
  model: 50,
  /** Receives or fetches images and decodes them. */
  imageIntake: 10,
} as const;

const ownCost = (field: GraphQLField<unknown, unknown>): number => {
  const stated = field.extensions.complexity;
  return typeof stated === 'number' ? stated : FIELD_COST;
};

/** Fields that ask the model within the operation itself (one prompt per selection and parent). */
const PROMPT_FIELDS: ReadonlySet<string> = new Set(['Image.caption', 'Image.answer', 'Mutation.captionImage', 'Mutation.askQuestion', 'Image.moderation', 'Image.text', 'Image.objects', 'Mutation.moderateImage', 'Mutation.askAboutImages', 'Subscription.answerStream', 'Mutation.sendMessage', 'Subscription.messageStream']);

export interface CostOptions {
  /**
   * The most items one job has (JOB_MAX_ITEMS): a job's lists (items,
   * captions, questions) can name that many distinct images, so model fields
   * below them count that often as prompts.
   */
  jobMaxItems: number;
}

export interface OperationMeasure {
  /** Estimated cost: each field 1, model-backed fields far more, lists multiply what they contain. */
  cost: number;
  /** Model prompts the operation may send: caption/answer selections times the lists above them. */
  prompts: number;
}

type Estimate = Parameters<ComplexityEstimator>[0];

const keyOf = (type: GraphQLCompositeType, field: GraphQLField<unknown, unknown>) => `${type.name}.${field.name}`;

/**
 * How many times a field's selection runs per parent: `first` on paginated
 * fields, the number of files on uploadImages, and a size guess for lists
 * with no argument. A connection's `edges` are already counted by its `first`.
 */
function multiplier({ type, field, args }: Estimate, unboundedList: (key: string) => number): number {
  if (field.args.some((arg) => arg.name === 'first')) {
    // A larger page is refused (BAD_USER_INPUT) before any row is read: no page is longer. `last` wins over `first`, as in paging.
    const size = typeof args.last === 'number' ? args.last : args.first;
    return typeof size === 'number' ? Math.min(MAX_PAGE_SIZE, Math.max(0, size)) : DEFAULT_PAGE_SIZE;
  }
  const key = keyOf(type, field);
  if (key === 'Mutation.uploadImages') return Array.isArray(args.files) ? args.files.length : 1;
  if (!isListType(getNullableType(field.type))) return 1;
  if (field.name === 'edges' && type.name.endsWith('Connection')) return 1;
  return unboundedList(key);
}

export function costEstimator(): ComplexityEstimator {
  return (estimate) => {
    // Introspection reads the schema, whose size is fixed: each field once, no list guesses
    // (GraphiQL's introspection query would otherwise "cost" hundreds of thousands).
    if (estimate.field.name.startsWith('__') || estimate.type.name.startsWith('__')) return FIELD_COST + estimate.childComplexity;
    const own = ownCost(estimate.field);
    const each = keyOf(estimate.type, estimate.field) === 'Mutation.uploadImages' ? multiplier(estimate, () => 1) : 1;
    return own * each + multiplier(estimate, () => DEFAULT_PAGE_SIZE) * estimate.childComplexity;
  };
}

export function promptEstimator(options: CostOptions): ComplexityEstimator {
  const unboundedList = (key: string) => {
    // A stored caption or answer of an image points back at that image: one image, however many.
    if (key === 'Image.captions' || key === 'Image.questions') return 1;
    if (key.startsWith('Job.')) return options.jobMaxItems;
    return DEFAULT_PAGE_SIZE;
  };
  return (estimate) => (PROMPT_FIELDS.has(keyOf(estimate.type, estimate.field)) ? 1 : 0) + multiplier(estimate, unboundedList) * estimate.childComplexity;
}

/** Collects the prompts an operation names (questions), for debug logging only. */
function promptCollector(into: string[]): ComplexityEstimator {
  return ({ type, field, args }) => {
    const key = keyOf(type, field);
    if ((key === 'Image.answer' || key === 'Mutation.askQuestion' || key === 'Mutation.askAboutImages' || key === 'Subscription.answerStream') && typeof args.question === 'string') into.push(args.question);
    if ((key === 'Mutation.sendMessage' || key === 'Subscription.messageStream') && typeof args.text === 'string') into.push(args.text);
    const input = args.input as { questions?: unknown } | undefined;
    if (key === 'Mutation.submitAnalysis' && Array.isArray(input?.questions)) into.push(...input.questions.filter((q): q is string => typeof q === 'string'));
    return 0;
  };
}

export interface MeasureInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  variables?: Record<string, unknown> | null;
  /** Only this operation is measured; when absent, every operation in the document (summed). */
  operationName?: string | null;
}

/** Thrown when the document has more selections (fragments expanded) than can be measured. */
export class TooManyNodesError extends Error {}

/** Selections (fragments expanded, not lists) measured at most; more means a fragment bomb. */
export const MAX_MEASURED_NODES = 10_000;

/**
 * Cost and prompts of one operation, with its variables (so `first: $n`
 * counts). Variables or arguments that do not coerce are left to execution
 * to report (it runs no resolver then); the fields that did measure count.
 */
export function measureOperation(input: MeasureInput, options: CostOptions): OperationMeasure {
  const measure: OperationMeasure = { cost: 0, prompts: 0 };
  runEstimators(input, [
    { estimators: [costEstimator()], onComplete: (value) => (measure.cost = value) },
    { estimators: [promptEstimator(options)], onComplete: (value) => (measure.prompts = value) },
  ]);
  return measure;
}

/** The questions the operation would send to the model (for LOG_PROMPTS). */
export function operationPrompts(input: MeasureInput): string[] {
  const prompts: string[] = [];
  runEstimators(input, [{ estimators: [promptCollector(prompts)], onComplete: () => undefined }]);
  return prompts;
}

function runEstimators(input: MeasureInput, passes: Array<{ estimators: ComplexityEstimator[]; onComplete: (value: number) => void }>): void {
  const rules = passes.map((pass) =>
    createComplexityRule({
      maximumComplexity: Number.MAX_SAFE_INTEGER,
      estimators: pass.estimators,
      variables: input.variables ?? {},
      operationName: input.operationName ?? undefined,
      onComplete: pass.onComplete,
      maxQueryNodes: MAX_MEASURED_NODES,
    }),
  );
  try {
    // Errors it reports are variable and argument coercion failures: execution reports those.
    validate(input.schema, input.document, rules);
  } catch (error) {
    if (error instanceof Error && /maximum allowed number of nodes/.test(error.message)) throw new TooManyNodesError(error.message);
    throw error;
  }
}
