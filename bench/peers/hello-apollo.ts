/**
 * The peer a cached answer is compared with: a hello-world Apollo Server 5 on
 * Express 5 whose one in-memory resolver returns the same shape as
 * `image(id) { id answer(question) { answer cached usage { totalTokens } } }`.
 * No database, no auth, no logging: what a GraphQL server costs at its least.
 * Run as its own process by the peers scenario (PORT from the environment).
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';

const typeDefs = `#graphql
  type Usage { promptTokens: Int! completionTokens: Int! totalTokens: Int! }
  type Question { id: ID! prompt: String! answer: String! cached: Boolean! usage: Usage! }
  type Image { id: ID! answer(question: String!): Question }
  type Query { image(id: ID!): Image }
`;

const resolvers = {
  Query: { image: (_: unknown, { id }: { id: string }) => ({ id }) },
  Image: {
    answer: ({ id }: { id: string }, { question }: { question: string }) => ({
      id: `${id}:answer`,
      prompt: question,
      answer: 'The car is red.',
      cached: true,
      usage: { promptTokens: 300, completionTokens: 12, totalTokens: 312 },
    }),
  },
};

const app = express();
const server = new ApolloServer({ typeDefs, resolvers });
await server.start();
app.use('/graphql', express.json(), expressMiddleware(server));
http.createServer(app).listen(Number(process.env.PORT), '127.0.0.1');
