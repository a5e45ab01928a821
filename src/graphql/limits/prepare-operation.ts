import {
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
  /** No introspection and no "Did you mean …" suggestions (NODE_ENV=production), as Apollo does over HTTP. */
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
  const rules: ValidationRule[] = [...specifiedRules, ...options.limits.validationRules(), ...(options.production ? [NoIntrospection] : [])];
  const clientMessage = options.production ? hideSuggestions : (message: string) => message;

  return (request) => {
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
    return {
      document,
      args: { schema: options.schema, document, operationName: request.operationName, variableValues: request.variables },
    };
  };
}
