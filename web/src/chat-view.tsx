import { useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ReplyMeta } from './format';
import type { MessageFieldsFragment } from './gql/graphql';
import { CONVERSATION_DETAIL, MESSAGE_STREAM } from './operations';
import { ErrorNotice } from './problems';
import { useTextStream } from './text-stream';

/** Messages read per page (the gateway's largest): a conversation longer than that pages on. */
const MESSAGES_PER_PAGE = 100;

/** A conversation with its first page of messages. The chat and its page share this query (one request, one cache entry). */
export const useConversation = (id: string) =>
  useQuery(CONVERSATION_DETAIL, { variables: { id, first: MESSAGES_PER_PAGE }, fetchPolicy: 'cache-and-network' });

/** The turn being written: the user's text, then the stored reply once the stream ends. */
interface Turn {
  text: string;
  reply?: MessageFieldsFragment;
}

const WHO = { USER: 'You', ASSISTANT: 'Model' } as const;

/**
 * A conversation's messages, oldest first, and a box to send the next one.
 * The reply streams in over messageStream; once stored, the newer messages
 * are fetched after the last one shown (so the stored user message and reply
 * replace the streamed turn). One message at a time: the box is disabled
 * while a reply is written, as the gateway refuses a second one (CONFLICT).
 */
export function ChatView({ conversationId, autoFocus = false }: { conversationId: string; autoFocus?: boolean }) {
  const detail = useConversation(conversationId);
  const [turn, setTurn] = useState<Turn | null>(null);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<unknown>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  const connection = detail.data?.conversation?.messages;
  const messages = connection?.edges.map((edge) => edge.node) ?? [];
  const streaming = turn !== null && !turn.reply;
  // The streamed turn is shown until the fetched messages include its reply.
  const delivered = turn?.reply !== undefined && messages.some((m) => m.id === turn.reply?.id);

  useEffect(() => {
    if (delivered) setTurn(null);
  }, [delivered]);
  // The box was disabled while the reply streamed, which drops its focus: give it back.
  useEffect(() => {
    if (!streaming && document.activeElement === document.body) box.current?.focus();
  }, [streaming]);

  const fetchNewer = () => detail.fetchMore({ variables: { after: connection?.pageInfo.endCursor ?? null } }).catch(setError);
  const send = (event: FormEvent) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text || streaming) return;
    setError(null);
    setTurn({ text });
    setDraft('');
  };
  const stored = (reply: MessageFieldsFragment) => {
    setTurn((current) => current && { ...current, reply });
    void fetchNewer();
  };
  const failed = (problem: unknown) => {
    setError(problem);
    // Nothing of the turn was stored: the text goes back in the box to send again.
    setDraft((current) => current || turn?.text || '');
    setTurn(null);
  };
  // Enter sends, Shift+Enter starts a new line (not while an input method composes).
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      event.currentTarget.form?.requestSubmit();
    }
  };

  const boxId = `message-${conversationId}`;
  return (
    <div className="chat">
      <ErrorNotice error={detail.error} title="The conversation could not be loaded." />
      {messages.length === 0 && !turn && !detail.loading && <p className="hint">No messages yet: ask the first question.</p>}
      <ol className="messages" aria-label="Messages">
        {messages.map((message) => (
          <li key={message.id} className={`message ${message.role.toLowerCase()}`}>
            <span className="who">{WHO[message.role]}</span>
            <p className="text">{message.text}</p>
            {message.role === 'ASSISTANT' && <ReplyMeta {...message} />}
          </li>
        ))}
        {turn && !delivered && (
          <>
            <li className="message user">
              <span className="who">{WHO.USER}</span>
              <p className="text">{turn.text}</p>
            </li>
            <li className="message assistant">
              <span className="who">{WHO.ASSISTANT}</span>
              <p className="text" aria-live="polite" aria-busy={streaming} data-testid="streamed-reply">
                {turn.reply ? turn.reply.text : <StreamedReply conversationId={conversationId} text={turn.text} onFinal={stored} onError={failed} />}
              </p>
              {turn.reply ? <ReplyMeta {...turn.reply} /> : <p className="meta">Writing…</p>}
            </li>
          </>
        )}
      </ol>
      {connection?.pageInfo.hasNextPage && (
        <button type="button" className="secondary" disabled={detail.loading} onClick={() => void fetchNewer()}>
          Load newer messages
        </button>
      )}
      <ErrorNotice error={error} title="No reply." />
      <form className="composer" onSubmit={send}>
        <label htmlFor={boxId}>Message</label>
        <div className="row">
          <textarea
            id={boxId}
            ref={box}
            rows={2}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            disabled={streaming}
            autoFocus={autoFocus}
            maxLength={2000}
            aria-describedby={`${boxId}-hint`}
          />
          <button type="submit" disabled={streaming || !draft.trim()}>
            {streaming ? 'Writing…' : 'Send'}
          </button>
        </div>
        <p className="hint" id={`${boxId}-hint`}>
          Enter sends, Shift+Enter starts a new line. Each reply costs the images and the conversation so far, sent again.
        </p>
      </form>
    </div>
  );
}

interface StreamedReplyProps {
  conversationId: string;
  text: string;
  onFinal(reply: MessageFieldsFragment): void;
  onError(error: unknown): void;
}

/** The reply so far, as messageStream delivers it. */
function StreamedReply({ conversationId, text, onFinal, onError }: StreamedReplyProps) {
  return useTextStream({
    document: MESSAGE_STREAM,
    variables: { conversationId, text },
    chunkOf: ({ messageStream }) => ({ delta: messageStream.delta, final: messageStream.message }),
    onFinal,
    onError,
  });
}
