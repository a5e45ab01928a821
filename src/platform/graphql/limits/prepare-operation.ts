import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { NoIntrospection } from './no-introspection.js';
import type { QueryLimits } from './query-limits.js';

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface PrepareOptions {
  schema: GraphQLSchema;
  limits: QueryLimits;
  /** No "Did you mean …" suggestions (NODE_ENV=production), as Apollo does over HTTP; introspection follows `limits.options.introspection` (EXPLORER). */
  production: boolean;
}

export type Prepared =
  | { args: ExecutionArgs; document: DocumentNode }
  /** `document` is there when the operation parsed (to name it in metrics). */
  | { errors: GraphQLError[]; document?: DocumentNode };

/** The same wording Apollo's hideSchemaDetailsFromClientErrors leaves over HTTP. */
const hideSuggestions = (message: string) => message.replace(/ ?Did you mean(.+?)\?$/, '');

/**
 * Parse, validate and limit-check an operation for a transport that does not
 * run Apollo's pipeline (graphql-ws): the same rules and codes as HTTP
 * (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_COMPLEX), all
 * before any resolver runs.
 */
export function createOperationPreparer(options: PrepareOptions): (request: OperationRequest) => Prepared {
  const rules: ValidationRule[] = [...specifiedRules, ...options.limits.validationRules(), ...(options.limits.options.introspection ? [] : [NoIntrospection])];
  const clientMessage = options.production ? hideSuggestions : (message: string) => message;

  return (request) => {
    const tooLarge = options.limits.checkSource(request.query);
    if (tooLarge) return { errors: [tooLarge] };
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (error) {
      const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
      return {
        errors: [new GraphQLError(syntax.message, { source: syntax.source, positions: syntax.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })],
      };
    }
    const invalid = validate(options.schema, document, rules);
    if (invalid.length > 0) {
      return {
        document,
        errors: invalid.map(
          (error) =>
            new GraphQLError(clientMessage(error.message), {
              nodes: error.nodes,
              // A limit's GatewayError travels as originalError, so the formatter keeps QUERY_TOO_COMPLEX.
              originalError: error.originalError ?? undefined,
              extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
        ),
      };
    }
    const breach = options.limits.checkOperation({ schema: options.schema, document, variables: request.variables, operationName: request.operationName });
    if (breach) return { errors: [breach], document };
    const clientMistakes = operationAndVariableErrors(options.schema, document, request);
    if (clientMistakes.length > 0) return { errors: clientMistakes, document };
    return {
      document,
      args: { schema: options.schema, document, operationName: request.operationName, variableValues: request.variables },
    };
  };
}

/**
 * What graphql-js's execute would report without a code (so as internal
 * errors): no operation to run, or variables of the wrong type. Answered
 * with the codes Apollo gives the same mistakes over HTTP.
 */
function operationAndVariableErrors(schema: GraphQLSchema, document: DocumentNode, request: OperationRequest): GraphQLError[] {
  const operation = getOperationAST(document, request.operationName);
  if (!operation) {
    const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
    return [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 50 });
  if (!coerced.errors) return [];
  return coerced.errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, originalError: error.originalError, extensions: { code: 'BAD_USER_INPUT' } }));
}
