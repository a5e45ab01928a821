import { useMutation, useQuery, useSubscription } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { altTextOf, CAPTION_STYLES, Field, formatDate } from '../format';
import type { CaptionStyle, JobStatus } from '../gql/graphql';
import { CANCEL_JOB, IMAGE_GRID, JOB_UPDATED, RECENT_JOBS, SUBMIT_ANALYSIS } from '../operations';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

const FINAL: JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Jobs: pick images, caption styles and questions; submit; follow the job live over graphql-ws. */
export function JobsPage() {
  const images = useQuery(IMAGE_GRID, { variables: { first: 48, size: 96 }, notifyOnNetworkStatusChange: true });
  const recent = useQuery(RECENT_JOBS, { fetchPolicy: 'cache-and-network' });
  const [submit, submitted] = useMutation(SUBMIT_ANALYSIS);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [styles, setStyles] = useState<ReadonlySet<CaptionStyle>>(new Set(['BRIEF']));
  const [questions, setQuestions] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);

  const toggle = <T,>(set: ReadonlySet<T>, value: T) => {
    const next = new Set(set);
    if (!next.delete(value)) next.add(value);
    return next;
  };
  const questionList = questions
    .split('\n')
    .map((q) => q.trim())
    .filter(Boolean);
  const ready = selected.size > 0 && (styles.size > 0 || questionList.length > 0);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const result = await submit({ variables: { input: { imageIds: [...selected], captionStyles: [...styles], questions: questionList } } });
      if (result.data) {
        setJobId(result.data.submitAnalysis.id);
        // The new job belongs in the list at once, running.
        void recent.refetch();
      }
    } catch {
      // shown from `submitted.error`
    }
  };

  const connection = images.data?.images;
  return (
    <>
      <h1 tabIndex={-1}>Jobs</h1>
      <form onSubmit={onSubmit} className="job-form">
        <fieldset>
          <legend>Images ({selected.size} selected)</legend>
          <ErrorNotice error={images.error} />
          {connection && connection.edges.length === 0 && (
            <p>
              No images yet: <a href="#/images">upload some</a>.
            </p>
          )}
          <ul className="pick-grid">
            {connection?.edges.map(({ node }) => (
              <li key={node.id}>
                <label className={selected.has(node.id) ? 'pick selected' : 'pick'}>
                  <input type="checkbox" checked={selected.has(node.id)} onChange={() => setSelected((s) => toggle(s, node.id))} />
                  <img src={node.thumbnailUrl} alt={altTextOf(node.captions) ?? ''} loading="lazy" />
                  <span>
                    Image {node.id.slice(0, 8)} ({node.width}×{node.height})
                  </span>
                </label>
              </li>
            ))}
          </ul>
          <div className="row">
            {connection && connection.edges.length > 0 && (
              <button type="button" className="secondary" onClick={() => setSelected(new Set(connection.edges.map((e) => e.node.id)))}>
                Select all shown
              </button>
            )}
            {connection?.pageInfo.hasNextPage && (
              <button type="button" className="secondary" onClick={() => void images.fetchMore({ variables: { after: connection.pageInfo.endCursor } })}>
                Load more
              </button>
            )}
          </div>
        </fieldset>
        <fieldset>
          <legend>Caption styles</legend>
          {CAPTION_STYLES.map((style) => (
            <label key={style} className="inline">
              <input type="checkbox" checked={styles.has(style)} onChange={() => setStyles((s) => toggle(s, style))} /> {style}
            </label>
          ))}
        </fieldset>
        <Field id="job-questions" label="Questions (one per line)">
          <textarea id="job-questions" rows={3} value={questions} onChange={(e) => setQuestions(e.target.value)} />
        </Field>
        <ErrorNotice error={submitted.error} title="The job was not submitted." />
        <button type="submit" disabled={!ready || submitted.loading}>
          {submitted.loading ? 'Submitting…' : `Submit job (${selected.size * (styles.size + questionList.length)} items)`}
        </button>
      </form>
      {jobId && <JobProgress key={jobId} id={jobId} onFinished={() => void recent.refetch()} />}
      <section aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recent jobs</h2>
        <ErrorNotice error={recent.error} />
        {recent.loading && !recent.data && <p aria-busy="true">Loading…</p>}
        {recent.data && recent.data.jobs.edges.length === 0 && <p className="hint">{jobId ? 'The job above is the first; it is listed here once the gateway has it.' : 'No jobs yet.'}</p>}
        <ul className="recent-jobs">
          {recent.data?.jobs.edges.map(({ node }) => (
            <li key={node.id}>
              <button type="button" className="link" onClick={() => setJobId(node.id)}>
                Job {node.id.slice(0, 8)}
              </button>{' '}
              <span className={`status ${node.status.toLowerCase()}`}>{node.status}</span> {node.done + node.failed}/{node.total} · {formatDate(node.createdAt)}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

/** Live state of one job from `jobUpdated` (the current state, each change, the final state; then the stream ends). */
function JobProgress({ id, onFinished }: { id: string; onFinished: () => void }) {
  const updates = useSubscription(JOB_UPDATED, { variables: { id }, onComplete: onFinished });
  const [cancel, cancelled] = useMutation(CANCEL_JOB);
  const job = updates.data?.jobUpdated;
  const finished = job ? FINAL.includes(job.status) : false;
  const percent = job && job.total > 0 ? Math.round(((job.done + job.failed) / job.total) * 100) : 0;
  const failedItems = job?.items.filter((item) => item.status === 'FAILED') ?? [];

  return (
    <section aria-labelledby="job-heading" className="job" data-testid="job">
      <h2 id="job-heading">Job {id.slice(0, 8)}</h2>
      <ErrorNotice error={updates.error} title="Live updates stopped." />
      {!job && !updates.error && <p aria-busy="true">Connecting…</p>}
      {job && (
        <>
          <p id="job-progress-label" aria-live="polite">
            <span className={`status ${job.status.toLowerCase()}`} data-testid="job-status">
              {job.status}
            </span>{' '}
            {job.done + job.failed} of {job.total} items ({job.failed} failed) · <span data-testid="job-percent">{percent} %</span>
          </p>
          <progress max={100} value={percent} aria-labelledby="job-progress-label" />
          {job.error && <p className="notice error">{job.error}</p>}
          {!finished && (
            <button type="button" className="danger" disabled={cancelled.loading} onClick={() => void cancel({ variables: { id } }).catch(() => undefined)}>
              {cancelled.loading ? 'Cancelling…' : 'Cancel job'}
            </button>
          )}
          <ErrorNotice error={cancelled.error} />
          <h3>Results</h3>
          <table className="results">
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Item</th>
                <th scope="col">Status</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {job.items.map((item) => (
                <tr key={item.id} className={item.status.toLowerCase()}>
                  <td>
                    {item.image ? (
                      <a href={hrefOf({ page: 'image', id: item.image.id })}>
                        <img src={item.image.thumbnailUrl} alt={altTextOf(item.image.captions) ?? `Image ${item.image.id.slice(0, 8)}`} className="thumb-small" />
                      </a>
                    ) : (
                      <span className="hint">deleted</span>
                    )}
                  </td>
                  <td>{item.kind === 'CAPTION' ? `Caption ${item.style}` : item.prompt}</td>
                  <td>{item.status}</td>
                  <td>
                    {item.caption?.text ?? item.question?.answer}
                    {item.errorCode && <code className="code">{item.errorCode}</code>} {item.error}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {finished && failedItems.length > 0 && <p className="notice error">{failedItems.length} item(s) failed; see their codes above.</p>}
        </>
      )}
    </section>
  );
}
