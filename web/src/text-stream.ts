import type { OperationVariables } from '@apollo/client';
import { useSubscription } from '@apollo/client/react';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useRef, useState } from 'react';

/** One event of a text stream: text to append, and on the last one the stored result. */
export interface TextChunk<Final> {
  delta: string;
  final: Final | null | undefined;
}

export interface TextStreamOptions<Data, Variables extends OperationVariables, Final> {
  document: TypedDocumentNode<Data, Variables>;
  variables: Variables;
  chunkOf(data: Data): TextChunk<Final>;
  /** The last chunk arrived: the result as the gateway stored it. */
  onFinal(final: Final): void;
  /** The stream failed or ended without a stored result (the gateway then stored nothing). */
  onError(error: unknown): void;
}

/**
 * Follows one streaming subscription (answerStream, messageStream) over
 * graphql-ws and returns the text so far: the deltas joined as they arrive.
 * Unmounting the component unsubscribes, which cancels the model's work
 * when no one else waits on it.
 */
export function useTextStream<Data, Variables extends OperationVariables, Final>({ document, variables, chunkOf, onFinal, onError }: TextStreamOptions<Data, Variables, Final>): string {
  const [text, setText] = useState('');
  const settled = useRef(false);
  const options = {
    variables,
    // The text is kept here, chunk by chunk; the hook's own copy of the last chunk would render twice.
    ignoreResults: true,
    onData: ({ data }) => {
      if (!data.data) return;
      const chunk = chunkOf(data.data);
      setText((sofar) => sofar + chunk.delta);
      if (chunk.final) {
        settled.current = true;
        onFinal(chunk.final);
      }
    },
    onError: (error) => {
      settled.current = true;
      onError(error);
    },
    onComplete: () => {
      if (!settled.current) onError(new Error('The stream ended before the reply was complete, so nothing was stored. Try again.'));
    },
  } as useSubscription.Options<Data, Variables>;
  useSubscription(document, options);
  return text;
}
