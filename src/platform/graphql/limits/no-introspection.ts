import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * Production refuses introspection (the schema is published as
 * schema/schema.graphql instead). Marked the way Apollo Server marks its own
 * refusal over HTTP (`validationErrorCode`), so the one error formatter turns
 * both transports' refusals into INTROSPECTION_DISABLED.
 */
export const NoIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(new GraphQLError('Introspection is disabled.', { nodes: [node], extensions: { validationErrorCode: 'INTROSPECTION_DISABLED' } }));
    }
  },
});
