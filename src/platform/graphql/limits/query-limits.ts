import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { getOperationAST, GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type TypeNode, type ValidationContext, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config.js';
import { GatewayError } from '../../errors.js';
import { toGraphQLError } from '../error-formatter.js';
import { MAX_MEASURED_NODES, measureOperation, TooManyNodesError, type CostOptions, type OperationMeasure } from './operation-cost.js';
import { countTokens } from './token-count.js';

/** The environment variable behind each limit: messages name it so an operator knows what to raise. */
export type LimitVariable =
  | 'QUERY_MAX_DEPTH'
  | 'QUERY_MAX_ALIASES'
  | 'QUERY_MAX_COST'
  | 'QUERY_MAX_PROMPTS'
  | 'QUERY_MAX_VARIABLES_BYTES'
  | 'QUERY_MAX_TOKENS'
  | 'QUERY_MAX_DIRECTIVES'
  | 'QUERY_MAX_VARIABLES'
  | 'WS_MAX_SUBSCRIPTIONS';

/**
 * QUERY_TOO_COMPLEX, with `extensions.limit` (the variable), `maximum` and,
 * when known, `actual`. HTTP 400: the request as sent will never pass.
 */
export function limitError(limit: LimitVariable, message: string, maximum: number, actual?: number): GraphQLError {
  const extensions = { limit, maximum, ...(actual === undefined ? {} : { actual }) };
  return toGraphQLError(new GatewayError('QUERY_TOO_COMPLEX', message, { failsRequest: true, extensions }));
}

export interface QueryLimitsOptions extends CostOptions {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxPrompts: number;
  maxVariablesBytes: number;
  maxTokens: number;
  maxDirectives: number;
  maxVariables: number;
  /** `__schema` / `__type` allowed (EXPLORER), on HTTP and graphql-ws alike. */
  introspection: boolean;
}

export function queryLimitsFromConfig(config: Config): QueryLimitsOptions {
  return { ...config.query, jobMaxItems: config.jobs.maxItems, introspection: config.explorer };
}

export interface OperationToCheck {
  schema: GraphQLSchema;
  document: DocumentNode;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  /** The HTTP method, when the operation came over HTTP. */
  httpMethod?: string;
}

/**
 * GET is for reads a browser may repeat or prefetch (and CSRF prevention lets
 * a GET through once it carries the preflight header): never for operations
 * that can spend model tokens.
 */
const modelWorkOverGet = () =>
  toGraphQLError(new GatewayError(
    'BAD_REQUEST',
    'This query asks the model (caption or answer fields), which can spend tokens: send it as a POST with a JSON body. GET runs only reads of stored data.',
    { httpStatus: 405 },
  ));

/**
 * The per-operation limits, enforced before any resolver runs. Depth and
 * aliases depend on the document alone, so they are validation rules (Apollo
 * caches a document's verdict); cost, prompts and variables depend on the
 * variables (`first: $n`), so they are checked once the operation is known.
 */
export class QueryLimits {
  /**
   * A document's measures by operation and the variables its cost can depend
   * on (costKeyOf): measuring walks the whole document, and a client repeats
   * the same operation, often with only a new question (Apollo hands out one
   * DocumentNode per query text). Bounded per document by entries and by the
   * size of their keys.
   */
  private readonly measured = new WeakMap<DocumentNode, LRUCache<string, OperationMeasure | TooManyNodesError>>();
  /**
   * Documents already found within QUERY_MAX_TOKENS: the same few arrive on
   * every request, and lexing each again was 0.6% of a cached answer's CPU.
   * A refused one is counted again (the refusal need not be fast).
   */
  private readonly withinTokenLimit = new LRUCache<string, true>({ max: 1000, maxSize: 4 * 1024 * 1024, sizeCalculation: (_within, query) => query.length + 1 });

  constructor(readonly options: QueryLimitsOptions) {}

  /** The document's size in tokens, before it is parsed: parsing and validation cost grows with it. */
  checkSource(query: string): GraphQLError | undefined {
    const { maxTokens } = this.options;
    if (this.withinTokenLimit.get(query)) return undefined;
    const tokens = countTokens(query, maxTokens);
    if (tokens <= maxTokens) {
      this.withinTokenLimit.set(query, true);
      return undefined;
    }
    return limitError('QUERY_MAX_TOKENS', `The document has more than ${maxTokens} tokens (QUERY_MAX_TOKENS). Send a smaller operation: fewer fields, aliases or variables.`, maxTokens);
  }

  /** Depth and alias limits (graphql-armor), reporting QUERY_TOO_COMPLEX. */
  validationRules(): ValidationRule[] {
    const { maxDepth, maxAliases, maxDirectives, maxVariables } = this.options;
    const found = (error: GraphQLError) => {
      const match = /found (\d+)/.exec(error.message);
      return match ? Number(match[1]) : undefined;
    };
    const report = (context: ValidationContext | null, error: GraphQLError) => context?.reportError(error);
    return [
      maxVariablesRule(maxVariables),
      maxDirectivesRule({
        n: maxDirectives,
        propagateOnRejection: false,
        onReject: [
          (context, error) => {
            const actual = found(error);
            report(context, limitError('QUERY_MAX_DIRECTIVES', `The operation uses ${actual ?? 'too many'} directives; the maximum is ${maxDirectives} (QUERY_MAX_DIRECTIVES).`, maxDirectives, actual));
          },
        ],
      }),
      maxDepthRule({
        n: maxDepth,
        flattenFragments: true, // depth counts fields, not the fragments that group them
        ignoreIntrospection: true,
        propagateOnRejection: false,
        onReject: [
          (context, error) => {
            const actual = found(error);
            report(context, limitError('QUERY_MAX_DEPTH', `The operation nests fields ${actual ?? 'more than'} levels deep; the maximum is ${maxDepth} (QUERY_MAX_DEPTH). Ask for fewer nested fields, or follow ids in separate requests.`, maxDepth, actual));
          },
        ],
      }),
      maxAliasesRule({
        n: maxAliases,
        propagateOnRejection: false,
        onReject: [
          (context, error) => {
            const actual = found(error);
            report(context, limitError('QUERY_MAX_ALIASES', `The operation uses ${actual ?? 'too many'} aliases; the maximum is ${maxAliases} (QUERY_MAX_ALIASES). Split it into several requests, or use submitAnalysis for bulk questions.`, maxAliases, actual));
          },
        ],
      }),
    ];
  }

  /** Variables size, model prompts and cost of the operation that will run; the first breach, if any. */
  checkOperation(input: OperationToCheck): GraphQLError | undefined {
    const { maxVariablesBytes, maxPrompts, maxCost } = this.options;
    const variablesJson = input.variables ? jsonOf(input.variables) : '';
    if (variablesJson === undefined) {
      return limitError('QUERY_MAX_VARIABLES_BYTES', 'The variables are nested too deeply to process (QUERY_MAX_VARIABLES_BYTES). Flatten them.', maxVariablesBytes);
    }
    const variablesBytes = Buffer.byteLength(variablesJson);
    if (variablesBytes > maxVariablesBytes) {
      return limitError('QUERY_MAX_VARIABLES_BYTES', `The variables take ${variablesBytes} bytes as JSON; the maximum is ${maxVariablesBytes} (QUERY_MAX_VARIABLES_BYTES). Send large data as uploads, or split the request.`, maxVariablesBytes, variablesBytes);
    }
    const operation = getOperationAST(input.document, input.operationName);
    // No such operation: execution answers that, without running anything.
    if (!operation) return undefined;
    const measure = this.measure({ ...input, operationName: operation.name?.value }, costKeyOf(operation, input.variables));
    if (measure instanceof TooManyNodesError) {
      return limitError('QUERY_MAX_COST', `The operation has more than ${MAX_MEASURED_NODES} selections with its fragments expanded, too many to estimate its cost (QUERY_MAX_COST). Simplify it.`, maxCost);
    }
    if (input.httpMethod === 'GET' && measure.prompts > 0) return modelWorkOverGet();
    if (measure.prompts > maxPrompts) {
      return limitError('QUERY_MAX_PROMPTS', `The operation may ask the model up to ${measure.prompts} prompts (caption and answer fields times the list sizes above them); the maximum is ${maxPrompts} (QUERY_MAX_PROMPTS). Ask for smaller pages (first), or use submitAnalysis for bulk work.`, maxPrompts, measure.prompts);
    }
    if (measure.cost > maxCost) {
      return limitError('QUERY_MAX_COST', `The operation's estimated cost is ${measure.cost}; the maximum is ${maxCost} (QUERY_MAX_COST). Ask for smaller pages (first), fewer nested lists or fewer model-backed fields.`, maxCost, measure.cost);
    }
    return undefined;
  }

  /** The operation's measure, from the cache when this document ran with variables of the same cost before. */
  private measure(input: OperationToCheck, costKey: string): OperationMeasure | TooManyNodesError {
    let byVariables = this.measured.get(input.document);
    if (!byVariables) {
      byVariables = new LRUCache({ max: 100, maxSize: 256 * 1024, sizeCalculation: (_value, key) => key.length + 1 });
      this.measured.set(input.document, byVariables);
    }
    const key = `${input.operationName ?? ''}\n${costKey}`;
    let measure = byVariables.get(key);
    if (!measure) {
      try {
        measure = measureOperation(input, this.options);
      } catch (error) {
        if (!(error instanceof TooManyNodesError)) throw error;
        measure = error;
      }
      byVariables.set(key, measure);
    }
    return measure;
  }

  /** Runs checkOperation once Apollo knows the operation, before execution. */
  apolloPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ schema, document, request }) => {
          const error = this.checkOperation({ schema, document, variables: request.variables, operationName: request.operationName, httpMethod: request.http?.method });
          if (error) throw error;
        },
      }),
    };
  }
}

/** Variable definitions per operation: each is coerced on every request, so their number is bounded too. */
function maxVariablesRule(maxVariables: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      const actual = node.variableDefinitions?.length ?? 0;
      if (actual > maxVariables) {
        context.reportError(limitError('QUERY_MAX_VARIABLES', `The operation defines ${actual} variables; the maximum is ${maxVariables} (QUERY_MAX_VARIABLES).`, maxVariables, actual));
      }
    },
  });
}

/** Variable types whose values no estimator reads and any string coerces to: a string given for them cannot change a measure. */
const COST_FREE_TYPES: ReadonlySet<string> = new Set(['String', 'ID']);

const namedTypeOf = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type));

/** Strings blanked, lists kept at their length (a list's size can count); anything else as given. */
const shapeOf = (value: unknown): unknown => (typeof value === 'string' ? '' : Array.isArray(value) ? value.map(shapeOf) : value);

/**
 * The variables as far as the operation's measure can depend on them: the
 * strings given for String and ID variables (a question, an image id) are
 * blanked, so a fresh question about an image reuses the last one's measure
 * instead of walking the document again. Every other value stays as given:
 * numbers (`first`), list lengths (`files`), and any value that may not
 * coerce, whose measure is taken for it alone.
 */
export function costKeyOf(operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): string {
  if (!variables) return '';
  const costFree = costFreeVariables(operation);
  // Built a variable at a time: JSON.stringify with a replacer called for every value was 1.2% of a cached answer's CPU on Node 24.
  let key = '';
  for (const [name, value] of Object.entries(variables)) key += `${JSON.stringify(name)}:${JSON.stringify(costFree.has(name) ? shapeOf(value) : value)},`;
  return key;
}

/** The operation's String and ID variables, per operation node (Apollo keeps one document per query text). */
const costFreeByOperation = new WeakMap<OperationDefinitionNode, ReadonlySet<string>>();

function costFreeVariables(operation: OperationDefinitionNode): ReadonlySet<string> {
  let names = costFreeByOperation.get(operation);
  if (!names) {
    names = new Set((operation.variableDefinitions ?? []).filter((definition) => COST_FREE_TYPES.has(namedTypeOf(definition.type))).map((definition) => definition.variable.name.value));
    costFreeByOperation.set(operation, names);
  }
  return names;
}

/** The variables as JSON; undefined when nested too deeply to serialize (a stack-overflow attempt), which counts as over any limit. */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
