import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Client as WsClient } from 'graphql-ws';
import { wsClient, type GraphQLResponse } from './client.js';

/** A subscription read event by event over graphql-ws, so a test can act between events. */
export function openSubscription<T, V extends Record<string, unknown>>(socket: WsClient, doc: TypedDocumentNode<T, V>, variables: V) {
  const events = socket.iterate<T>({ query: print(doc), variables });
  const event = (value: unknown) => ({ status: 0, ...(value as object) }) as GraphQLResponse<T>;
  return {
    async next(): Promise<GraphQLResponse<T>> {
      const step = await events.next();
      if (step.done) throw new Error('the stream completed early');
      return event(step.value);
    },
    /** Every event left, until the stream completes. */
    async rest(): Promise<Array<GraphQLResponse<T>>> {
      const all: Array<GraphQLResponse<T>> = [];
      for (let step = await events.next(); !step.done; step = await events.next()) all.push(event(step.value));
      return all;
    },
    /** Leaves the stream (graphql-ws `complete`), as a client that goes away mid-stream. */
    leave: () => events.return?.(),
  };
}

/** Keyed graphql-ws sockets (one for its whole life) a test opens, all closed at once after it. */
export class TestSockets {
  private readonly opened: WsClient[] = [];

  constructor(private readonly httpUrl: () => string) {}

  of(authorization: string): WsClient {
    const socket = wsClient(this.httpUrl(), { authorization }, { lazy: false });
    this.opened.push(socket);
    return socket;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((socket) => socket.dispose()));
  }
}
