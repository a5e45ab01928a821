import { useApolloClient, useQuery } from '@apollo/client/react';
import { useState, type FormEvent, type ReactNode } from 'react';
import { downloadCsv } from '../csv';
import { CAPTION_STYLES, Field, formatDate } from '../format';
import type { CaptionFilter, CaptionRowsQuery, CaptionStyle, ExportFormat, QuestionFilter, QuestionRowsQuery } from '../gql/graphql';
import { CAPTION_ROWS, EXPORT_URL, QUESTION_ROWS } from '../operations';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

type Kind = 'questions' | 'captions';

interface Filters {
  imageId: string;
  model: string;
  promptContains: string;
  style: CaptionStyle | '';
  from: string;
  to: string;
}

const EMPTY: Filters = { imageId: '', model: '', promptContains: '', style: '', from: '', to: '' };
const PAGE_SIZES = [5, 20, 50, 100];

/** Dates are local days: "from" is inclusive (createdAfter), "to" includes its whole day (createdBefore is the next midnight). */
function dateRange(filters: Filters): { createdAfter?: string; createdBefore?: string } {
  const midnight = (day: string, plusDays = 0) => {
    const date = new Date(`${day}T00:00:00`);
    date.setDate(date.getDate() + plusDays);
    return date.toISOString();
  };
  return { ...(filters.from && { createdAfter: midnight(filters.from) }), ...(filters.to && { createdBefore: midnight(filters.to, 1) }) };
}

function questionFilter(f: Filters): QuestionFilter {
  return { ...(f.imageId.trim() && { imageId: f.imageId.trim() }), ...(f.model.trim() && { model: f.model.trim() }), ...(f.promptContains && { promptContains: f.promptContains }), ...dateRange(f) };
}

function captionFilter(f: Filters): CaptionFilter {
  return { ...(f.imageId.trim() && { imageId: f.imageId.trim() }), ...(f.model.trim() && { model: f.model.trim() }), ...(f.style && { style: f.style }), ...dateRange(f) };
}

/** Answers: the stored questions or captions, filtered, paged by cursor, downloadable as CSV. */
export function AnswersPage() {
  const [kind, setKind] = useState<Kind>('questions');
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [pageSize, setPageSize] = useState(20);
  const set = (patch: Partial<Filters>) => setDraft((d) => ({ ...d, ...patch }));
  const onApply = (event: FormEvent) => {
    event.preventDefault();
    setApplied(draft);
  };

  return (
    <>
      <h1 tabIndex={-1}>Answers</h1>
      <form className="filters" onSubmit={onApply} aria-label="Filters">
        <fieldset className="kind">
          <legend>Show</legend>
          {(['questions', 'captions'] as const).map((k) => (
            <label key={k} className="inline">
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {k === 'questions' ? 'Questions and answers' : 'Captions'}
            </label>
          ))}
        </fieldset>
        <Field id="f-image" label="Image ID">
          <input id="f-image" value={draft.imageId} onChange={(e) => set({ imageId: e.target.value })} />
        </Field>
        <Field id="f-model" label="Model">
          <input id="f-model" value={draft.model} onChange={(e) => set({ model: e.target.value })} placeholder="e.g. qwen-vl-max" />
        </Field>
        {kind === 'questions' ? (
          <Field id="f-prompt" label="Question contains">
            <input id="f-prompt" value={draft.promptContains} onChange={(e) => set({ promptContains: e.target.value })} />
          </Field>
        ) : (
          <Field id="f-style" label="Style">
            <select id="f-style" value={draft.style} onChange={(e) => set({ style: e.target.value as CaptionStyle | '' })}>
              <option value="">Any</option>
              {CAPTION_STYLES.map((style) => (
                <option key={style}>{style}</option>
              ))}
            </select>
          </Field>
        )}
        <Field id="f-from" label="From (day)">
          <input id="f-from" type="date" value={draft.from} onChange={(e) => set({ from: e.target.value })} />
        </Field>
        <Field id="f-to" label="To (day, inclusive)">
          <input id="f-to" type="date" value={draft.to} onChange={(e) => set({ to: e.target.value })} />
        </Field>
        <Field id="f-size" label="Rows per page">
          <select id="f-size" value={pageSize} onChange={(e) => setPageSize(Number(e.target.value))}>
            {PAGE_SIZES.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </Field>
        <div className="field actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft(EMPTY);
              setApplied(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      {kind === 'questions' ? <QuestionTable filter={questionFilter(applied)} pageSize={pageSize} /> : <CaptionTable filter={captionFilter(applied)} pageSize={pageSize} />}
    </>
  );
}

interface TableProps<F> {
  filter: F;
  pageSize: number;
}

type Cell = string | number | boolean | null;

/** One column: its header on screen, its name in the CSV, and the value of a row (shown as text unless `show` says otherwise). */
interface Column<N> {
  header: string;
  csv: string;
  value(node: N): Cell;
  show?(node: N): ReactNode;
  numeric?: boolean;
}

interface StoredRow {
  id: string;
  createdAt: string;
  model: string;
  cached: boolean;
  latencyMs: number;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
  image: { id: string };
}

/** Columns around the question or caption itself: when, which image, which model, what it cost. */
function storedColumns<N extends StoredRow>(own: Array<Column<N>>): Array<Column<N>> {
  return [
    { header: 'Stored', csv: 'createdAt', value: (n) => n.createdAt, show: (n) => formatDate(n.createdAt) },
    { header: 'Image', csv: 'imageId', value: (n) => n.image.id, show: (n) => <a href={hrefOf({ page: 'image', id: n.image.id })}>{n.image.id.slice(0, 8)}</a> },
    ...own,
    { header: 'Model', csv: 'model', value: (n) => n.model },
    { header: 'Tokens', csv: 'totalTokens', value: (n) => n.usage.totalTokens, numeric: true },
    // In the CSV only:
    { header: '', csv: 'cached', value: (n) => n.cached },
    { header: '', csv: 'promptTokens', value: (n) => n.usage.promptTokens },
    { header: '', csv: 'completionTokens', value: (n) => n.usage.completionTokens },
    { header: '', csv: 'latencyMs', value: (n) => n.latencyMs },
  ];
}

const QUESTION_COLUMNS = storedColumns<QuestionRowsQuery['questions']['edges'][number]['node']>([
  { header: 'Question', csv: 'question', value: (n) => n.prompt },
  { header: 'Answer', csv: 'answer', value: (n) => n.answer },
]);

const CAPTION_COLUMNS = storedColumns<CaptionRowsQuery['captions']['edges'][number]['node']>([
  { header: 'Style', csv: 'style', value: (n) => n.style },
  { header: 'Caption', csv: 'text', value: (n) => n.text },
]);

function QuestionTable({ filter, pageSize }: TableProps<QuestionFilter>) {
  const rows = useQuery(QUESTION_ROWS, { variables: { filter, first: pageSize }, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: true });
  return (
    <Results
      label="questions"
      columns={QUESTION_COLUMNS}
      connection={rows.data?.questions}
      error={rows.error}
      loading={rows.loading}
      fetchMore={(after) => void rows.fetchMore({ variables: { after } })}
      exportAll={{ kind: 'QUESTIONS', questions: filter }}
    />
  );
}

function CaptionTable({ filter, pageSize }: TableProps<CaptionFilter>) {
  const rows = useQuery(CAPTION_ROWS, { variables: { filter, first: pageSize }, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: true });
  return (
    <Results
      label="captions"
      columns={CAPTION_COLUMNS}
      connection={rows.data?.captions}
      error={rows.error}
      loading={rows.loading}
      fetchMore={(after) => void rows.fetchMore({ variables: { after } })}
      exportAll={{ kind: 'CAPTIONS', captions: filter }}
    />
  );
}

interface ResultsProps<N extends { id: string }> {
  label: string;
  columns: Array<Column<N>>;
  connection: { edges: Array<{ node: N }>; pageInfo: { hasNextPage: boolean; endCursor?: string | null }; totalCount: number } | undefined;
  error: unknown;
  loading: boolean;
  fetchMore(after: string | null | undefined): void;
  /** What the server-side export of the whole filtered list is asked for. */
  exportAll: { kind: 'QUESTIONS'; questions: QuestionFilter } | { kind: 'CAPTIONS'; captions: CaptionFilter };
}

/** Starts a download from a signed export link: the browser streams the file to disk, however many rows. */
function download(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  document.body.append(link);
  link.click();
  link.remove();
}

/** The rows on screen, "Load more" by cursor, and the CSV of exactly those rows. */
function Results<N extends { id: string }>({ label, columns, connection, error, loading, fetchMore, exportAll }: ResultsProps<N>) {
  const client = useApolloClient();
  const [exportError, setExportError] = useState<unknown>(null);
  const nodes = connection?.edges.map((e) => e.node) ?? [];
  const exportAs = async (format: ExportFormat) => {
    setExportError(null);
    try {
      const result = await client.query({ query: EXPORT_URL, variables: { ...exportAll, format }, fetchPolicy: 'no-cache' });
      if (result.data?.exportUrl) download(result.data.exportUrl);
    } catch (error) {
      setExportError(error);
    }
  };
  const shown = columns.filter((c) => c.header);
  const csv = () =>
    downloadCsv(
      `${label}.csv`,
      columns.map((c) => c.csv),
      nodes.map((n) => columns.map((c) => c.value(n))),
    );
  return (
    <section aria-labelledby="results-heading">
      <div className="results-head">
        <h2 id="results-heading">
          <span data-testid="row-count">{nodes.length}</span> of <span data-testid="total-count">{connection?.totalCount ?? '…'}</span> {label} shown
        </h2>
        <button type="button" className="secondary" disabled={nodes.length === 0} onClick={csv}>
          Download CSV ({nodes.length} rows)
        </button>
        <button type="button" className="secondary" disabled={!connection?.totalCount} onClick={() => void exportAs('CSV')}>
          Export all as CSV
        </button>
        <button type="button" className="secondary" disabled={!connection?.totalCount} onClick={() => void exportAs('JSONL')}>
          Export all as JSON Lines
        </button>
      </div>
      <ErrorNotice error={error} />
      <ErrorNotice error={exportError} />
      <div className="table-wrap">
        <table className="rows" aria-labelledby="results-heading" aria-busy={loading}>
          <thead>
            <tr>
              {shown.map((c) => (
                <th key={c.csv} scope="col">
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id}>
                {shown.map((c) => (
                  <td key={c.csv} className={c.numeric ? 'num' : undefined}>
                    {c.show ? c.show(n) : c.value(n)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {nodes.length === 0 && !loading && <p className="hint">Nothing stored matches.</p>}
      {connection?.pageInfo.hasNextPage && (
        <button type="button" disabled={loading} onClick={() => fetchMore(connection.pageInfo.endCursor)}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
