import { ChatView, useConversation } from '../chat-view';
import { DeleteConversation } from '../delete-conversation';
import { altTextOf, conversationName, formatDate } from '../format';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

/** One conversation: its images (each opens its page), what it cost so far, the chat, and delete. */
export function ConversationPage({ id }: { id: string }) {
  const detail = useConversation(id);
  const conversation = detail.data?.conversation;
  if (!conversation) {
    if (detail.error) return <ErrorNotice error={detail.error} title="The conversation could not be loaded." />;
    return detail.loading ? (
      <>
        <h1 tabIndex={-1}>Conversation</h1>
        <p aria-busy="true">Loading…</p>
      </>
    ) : (
      <>
        <h1 tabIndex={-1}>Conversation not found</h1>
        <p>
          No conversation with this id (it was deleted, or it belongs to another API key's tenant). <a href={hrefOf({ page: 'conversations' })}>Back to conversations</a>
        </p>
      </>
    );
  }

  const name = conversationName(conversation.title, conversation.messages.edges[0]?.node.text);
  const { usage } = conversation;
  return (
    <>
      <h1 tabIndex={-1}>{name}</h1>
      <div className="conversation-head">
        <ul className="thumbs" aria-label="Images">
          {conversation.images.map((image) => (
            <li key={image.id}>
              <a href={hrefOf({ page: 'image', id: image.id })}>
                <img src={image.thumbnailUrl} alt={altTextOf(image.captions) ?? `Image ${image.id.slice(0, 8)} (${image.width}×${image.height})`} className="thumb" />
              </a>
            </li>
          ))}
        </ul>
        <p className="meta">
          Started {formatDate(conversation.createdAt)} · {usage.totalTokens} tokens so far ({usage.promptTokens} in, {usage.completionTokens} out)
        </p>
        <DeleteConversation id={id} name="this conversation" onDeleted={() => (location.hash = hrefOf({ page: 'conversations' }))} />
      </div>
      <ChatView conversationId={id} />
    </>
  );
}
