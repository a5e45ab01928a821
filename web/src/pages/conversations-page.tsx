import { useQuery } from '@apollo/client/react';
import { ConversationExport } from '../conversation-export';
import { DeleteConversation } from '../delete-conversation';
import { conversationName, formatDate } from '../format';
import { CONVERSATION_LIST } from '../operations';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

const PAGE_SIZE = 20;

/** Conversations: the tenant's chats, newest first, paged by cursor; each opens its chat, or is deleted. */
export function ConversationsPage() {
  const list = useQuery(CONVERSATION_LIST, { variables: { first: PAGE_SIZE, size: 96 }, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: true });
  const connection = list.data?.conversations;
  return (
    <>
      <h1 tabIndex={-1}>Conversations</h1>
      <p className="hint">Chats about images, newest first. Start one on an image's page with “Chat about this image”.</p>
      {connection && connection.edges.length > 0 && <ConversationExport />}
      <ErrorNotice error={list.error} />
      {connection && connection.edges.length === 0 && (
        <p>
          No conversations yet: open one of your <a href={hrefOf({ page: 'images' })}>images</a> and chat about it.
        </p>
      )}
      <ul className="conversations" aria-label="Conversations" aria-busy={list.loading}>
        {connection?.edges.map(({ node }) => {
          const name = conversationName(node.title, node.messages.edges[0]?.node.text);
          return (
            <li key={node.id} className="conversation-row">
              <span className="thumbs">
                {/* Decorative: the link names the conversation. */}
                {node.images.map((image) => (
                  <img key={image.id} src={image.thumbnailUrl} alt="" className="thumb-small" loading="lazy" />
                ))}
              </span>
              <span className="conversation-summary">
                <a href={hrefOf({ page: 'conversation', id: node.id })}>{name}</a>
                <span className="meta">
                  {node.images.length === 1 ? '1 image' : `${node.images.length} images`} · started {formatDate(node.createdAt)} · last change {formatDate(node.updatedAt)} ·{' '}
                  {node.usage.totalTokens} tokens
                </span>
              </span>
              <DeleteConversation id={node.id} name={`“${name}”`} />
            </li>
          );
        })}
      </ul>
      {connection?.pageInfo.hasNextPage && (
        <button type="button" disabled={list.loading} onClick={() => void list.fetchMore({ variables: { after: connection.pageInfo.endCursor } })}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
      {list.loading && !connection && <p aria-busy="true">Loading…</p>}
    </>
  );
}
