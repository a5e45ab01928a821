import type { Reference } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { DELETE_CONVERSATION } from './operations';
import { ErrorNotice } from './problems';

/**
 * "Delete", then an inline confirmation (no browser dialog). Once deleted,
 * the conversation leaves the cache and every cached list of conversations.
 */
export function DeleteConversation({ id, name, onDeleted }: { id: string; name: string; onDeleted?(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [remove, removed] = useMutation(DELETE_CONVERSATION, {
    update(cache) {
      cache.modify({
        fields: {
          conversations(existing, { readField }) {
            const page = existing as { edges: Array<{ node: Reference }> };
            return { ...page, edges: page.edges.filter((edge) => readField('id', edge.node) !== id) };
          },
        },
      });
      cache.evict({ id: cache.identify({ __typename: 'Conversation', id }) });
      cache.gc();
    },
  });
  const confirm = useRef<HTMLButtonElement>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  // Focus follows the question: onto "Delete" when it appears, back to the first button when kept.
  useEffect(() => {
    if (confirming) confirm.current?.focus();
    else if (asked.current) ask.current?.focus();
    asked.current = confirming;
  }, [confirming]);

  const onConfirm = async () => {
    try {
      await remove({ variables: { id } });
      onDeleted?.();
    } catch {
      // shown from `removed.error`
    }
  };

  return (
    <div className="delete-conversation">
      {confirming ? (
        <div role="group" aria-label={`Delete ${name}?`} className="row">
          <span>Delete {name} and its messages?</span>
          <button type="button" className="danger" ref={confirm} disabled={removed.loading} onClick={() => void onConfirm()}>
            {removed.loading ? 'Deleting…' : 'Delete'}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </div>
      ) : (
        <button type="button" className="secondary" ref={ask} aria-label={`Delete ${name}`} onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
      <ErrorNotice error={removed.error} title="Not deleted." />
    </div>
  );
}
