import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { ChatView } from '../chat-view';
import { START_CONVERSATION } from '../operations';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

/** The image page's chat panel: starts a conversation about this image on request, then chats in place. */
export function ImageChat({ imageId }: { imageId: string }) {
  const [start, started] = useMutation(START_CONVERSATION);
  const [conversationId, setConversationId] = useState<string | null>(null);

  const onStart = async () => {
    try {
      const result = await start({ variables: { imageIds: [imageId] } });
      if (result.data) setConversationId(result.data.startConversation.id);
    } catch {
      // shown from `started.error`
    }
  };

  return (
    <section aria-labelledby="chat-heading" className="chat-panel">
      <h2 id="chat-heading">Chat</h2>
      {conversationId ? (
        <>
          <p className="hint">
            Follow-up questions keep the context. The chat is kept under <a href={hrefOf({ page: 'conversation', id: conversationId })}>Conversations</a>.
          </p>
          <ChatView conversationId={conversationId} autoFocus />
        </>
      ) : (
        <>
          <p className="hint">A conversation keeps the context: ask follow-up questions about this image.</p>
          <ErrorNotice error={started.error} title="The chat could not start." />
          <button type="button" disabled={started.loading} onClick={() => void onStart()}>
            {started.loading ? 'Starting…' : 'Chat about this image'}
          </button>
        </>
      )}
    </section>
  );
}
