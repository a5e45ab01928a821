import type { Reference } from '@apollo/client';
import { useApolloClient } from '@apollo/client/react';
import { useRef, useState, type FormEvent } from 'react';
import { ResultMeta } from '../format';
import type { QuestionFieldsFragment } from '../gql/graphql';
import { ANSWER_STREAM } from '../operations';
import { ErrorNotice } from '../problems';
import { useTextStream } from '../text-stream';

/** One question asked on this visit: streaming until it has an answer or an error. */
interface Ask {
  key: number;
  prompt: string;
  refresh: boolean;
  answer?: QuestionFieldsFragment;
  error?: unknown;
}

/** As the gateway's cache key has it (NFC, trimmed, inner whitespace collapsed): one answer per question. */
const normalized = (prompt: string) => prompt.normalize('NFC').trim().replace(/\s+/g, ' ');
const sameQuestion = (a: string, b: string) => normalized(a) === normalized(b);
const failed = (ask: Ask) => ask.error !== undefined;

/**
 * Questions about one image: each answer streams in over answerStream as the
 * model writes it, then shows what the gateway stored (cached, tokens). The
 * newest ask of a question stands in for older answers to it; a failed one
 * is shown with its error above the answer it did not replace.
 */
export function ImageQuestions({ imageId, stored }: { imageId: string; stored: readonly QuestionFieldsFragment[] }) {
  const [asks, setAsks] = useState<Ask[]>([]);
  const [question, setQuestion] = useState('');
  const nextKey = useRef(0);
  const streaming = asks.some((a) => !a.answer && !failed(a));
  const { cache } = useApolloClient();

  /** The image's stored list (read cache-first) takes the new answer in place of an older one, so a later visit shows it. */
  const remember = (answer: QuestionFieldsFragment) =>
    cache.modify({
      id: cache.identify({ __typename: 'Image', id: imageId }),
      fields: {
        questions(existing, { readField, toReference }) {
          const stale = (existing as readonly Reference[]).filter((ref) => !sameQuestion(readField<string>('prompt', ref) ?? '', answer.prompt));
          const added = toReference({ __typename: 'Question', id: answer.id });
          return added ? [added, ...stale] : existing;
        },
      },
    });

  const ask = (prompt: string, refresh: boolean) => {
    const key = nextKey.current++;
    // A new try supersedes an earlier failure of the same question.
    setAsks((all) => [{ key, prompt, refresh }, ...all.filter((a) => !(failed(a) && sameQuestion(a.prompt, prompt)))]);
  };
  const settle = (key: number, outcome: Pick<Ask, 'answer' | 'error'>) =>
    setAsks((all) => {
      const settled = all.find((a) => a.key === key);
      if (!settled) return all;
      // An answer replaces every older ask of its question.
      const replaced = (a: Ask) => outcome.answer !== undefined && a.key < key && sameQuestion(a.prompt, settled.prompt);
      return all.filter((a) => !replaced(a)).map((a) => (a.key === key ? { ...a, ...outcome } : a));
    });
  const onAsk = (event: FormEvent) => {
    event.preventDefault();
    if (question.trim() && !streaming) ask(question, false);
  };

  // Per question, the newest ask that did not fail; failures stay visible until retried.
  const shown = asks.filter((a) => failed(a) || asks.find((b) => !failed(b) && sameQuestion(b.prompt, a.prompt)) === a);
  const earlier = stored.filter((q) => !asks.some((a) => !failed(a) && sameQuestion(a.prompt, q.prompt)));
  const askButton = (label: string, prompt: string, refresh: boolean) => (
    <button type="button" className="secondary" disabled={streaming} onClick={() => ask(prompt, refresh)}>
      {label}
    </button>
  );

  return (
    <section aria-labelledby="questions-heading">
      <h2 id="questions-heading">Questions</h2>
      <form onSubmit={onAsk} className="ask">
        <label htmlFor="question">Question about this image</label>
        <div className="row">
          <input id="question" value={question} onChange={(e) => setQuestion(e.target.value)} placeholder="What colour is the car?" maxLength={2000} />
          <button type="submit" disabled={streaming || !question.trim()}>
            {streaming ? 'Asking…' : 'Ask'}
          </button>
        </div>
      </form>
      {shown.length + earlier.length === 0 ? (
        <p className="hint">No questions yet.</p>
      ) : (
        <ol className="answers" aria-label="Answers">
          {shown.map((a) => (
            <li key={a.key}>
              <p className="prompt">{a.answer?.prompt ?? a.prompt}</p>
              {/* One live region per ask: it holds the streamed text and then the stored answer, announced once complete. */}
              <p className="answer" aria-live="polite" aria-busy={!a.answer && !failed(a)}>
                {a.answer ? (
                  a.answer.answer
                ) : failed(a) ? null : (
                  <StreamedAnswer
                    imageId={imageId}
                    prompt={a.prompt}
                    refresh={a.refresh}
                    onFinal={(answer) => {
                      settle(a.key, { answer });
                      remember(answer);
                    }}
                    onError={(error) => settle(a.key, { error })}
                  />
                )}
              </p>
              {a.answer ? (
                <>
                  <ResultMeta {...a.answer} />
                  {askButton('Refresh answer', a.answer.prompt, true)}
                </>
              ) : failed(a) ? (
                <>
                  <ErrorNotice error={a.error} title="No answer." />
                  {askButton('Try again', a.prompt, a.refresh)}
                </>
              ) : (
                <p className="meta">Writing…</p>
              )}
            </li>
          ))}
          {earlier.map((q) => (
            <li key={q.id}>
              <p className="prompt">{q.prompt}</p>
              <p className="answer">{q.answer}</p>
              <ResultMeta {...q} />
              {askButton('Refresh answer', q.prompt, true)}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

interface StreamedAnswerProps {
  imageId: string;
  prompt: string;
  refresh: boolean;
  onFinal(answer: QuestionFieldsFragment): void;
  onError(error: unknown): void;
}

/** The answer so far, as answerStream delivers it. */
function StreamedAnswer({ imageId, prompt, refresh, onFinal, onError }: StreamedAnswerProps) {
  return useTextStream({
    document: ANSWER_STREAM,
    variables: { imageId, question: prompt, refresh },
    chunkOf: ({ answerStream }) => ({ delta: answerStream.delta, final: answerStream.answer }),
    onFinal,
    onError,
  });
}
