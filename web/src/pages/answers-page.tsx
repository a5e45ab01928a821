import type { TypedDocumentNode } from '@apollo/client';
import { useApolloClient, useQuery } from '@apollo/client/react';
import { useState, type FormEvent, type ReactNode } from 'react';
import { CAPTION_COLUMNS, DETECTION_COLUMNS, MODERATION_COLUMNS, QUESTION_COLUMNS, TEXT_COLUMNS } from '../../../src/modules/exports/export-columns';
import { downloadCsv, followDownload, type Cell } from '../csv';
import { CAPTION_STYLES, Field, formatCost, formatDate, MODERATION_CATEGORIES, ModerationBadge } from '../format';
import type {
  CaptionFilter,
  CaptionRowsQuery,
  CaptionStyle,
  DetectionRowsQuery,
  ExportFormat,
  ModerationCategory,
  ModerationFilter,
  ModerationRowsQuery,
  QuestionFilter,
  QuestionRowsQuery,
  TextRowsQuery,
  UsageFieldsFragment,
} from '../gql/graphql';
import { CAPTION_ROWS, DETECTION_ROWS, EXPORT_URL, MODERATION_ROWS, QUESTION_ROWS, TEXT_ROWS } from '../operations';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

type Kind = 'questions' | 'captions' | 'moderations' | 'texts' | 'detections';

const KINDS: Array<{ kind: Kind; label: string }> = [
  { kind: 'questions', label: 'Questions and answers' },
  { kind: 'captions', label: 'Captions' },
  { kind: 'moderations', label: 'Moderation' },
  { kind: 'texts', label: 'Text read' },
  { kind: 'detections', label: 'Detected objects' },
];

interface Filters {
  imageId: string;
  model: string;
  promptContains: string;
  style: CaptionStyle | '';
  flagged: '' | 'flagged' | 'clean';
  category: ModerationCategory | '';
  from: string;
  to: string;
}

const EMPTY: Filters = { imageId: '', model: '', promptContains: '', style: '', flagged: '', category: '', from: '', to: '' };
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

/** What every list filters by: image, model, dates. */
function commonFilter(f: Filters) {
  return { ...(f.imageId.trim() && { imageId: f.imageId.trim() }), ...(f.model.trim() && { model: f.model.trim() }), ...dateRange(f) };
}

const questionFilter = (f: Filters): QuestionFilter => ({ ...commonFilter(f), ...(f.promptContains && { promptContains: f.promptContains }) });
const captionFilter = (f: Filters): CaptionFilter => ({ ...commonFilter(f), ...(f.style && { style: f.style }) });
const moderationFilter = (f: Filters): ModerationFilter => ({ ...commonFilter(f), ...(f.flagged && { flagged: f.flagged === 'flagged' }), ...(f.category && { category: f.category }) });

/** Answers: the stored results of each kind, filtered, paged by cursor, downloadable as CSV. */
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
          {KINDS.map(({ kind: k, label }) => (
            <label key={k} className="inline">
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} /> {label}
            </label>
          ))}
        </fieldset>
        <Field id="f-image" label="Image ID">
          <input id="f-image" value={draft.imageId} onChange={(e) => set({ imageId: e.target.value })} />
        </Field>
        <Field id="f-model" label="Model">
          <input id="f-model" value={draft.model} onChange={(e) => set({ model: e.target.value })} placeholder="e.g. qwen-vl-max" />
        </Field>
        {kind === 'questions' && (
          <Field id="f-prompt" label="Question contains">
            <input id="f-prompt" value={draft.promptContains} onChange={(e) => set({ promptContains: e.target.value })} />
          </Field>
        )}
        {kind === 'captions' && (
          <Field id="f-style" label="Style">
            <select id="f-style" value={draft.style} onChange={(e) => set({ style: e.target.value as CaptionStyle | '' })}>
              <option value="">Any</option>
              {CAPTION_STYLES.map((style) => (
                <option key={style}>{style}</option>
              ))}
            </select>
          </Field>
        )}
        {kind === 'moderations' && (
          <>
            <Field id="f-flagged" label="Verdict">
              <select id="f-flagged" value={draft.flagged} onChange={(e) => set({ flagged: e.target.value as Filters['flagged'] })}>
                <option value="">Any</option>
                <option value="flagged">Flagged</option>
                <option value="clean">Clean</option>
              </select>
            </Field>
            <Field id="f-category" label="Category">
              <select id="f-category" value={draft.category} onChange={(e) => set({ category: e.target.value as ModerationCategory | '' })}>
                <option value="">Any</option>
                {MODERATION_CATEGORIES.map((category) => (
                  <option key={category}>{category}</option>
                ))}
              </select>
            </Field>
          </>
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
      <KindTable key={kind} kind={kind} filters={applied} pageSize={pageSize} />
    </>
  );
}

function KindTable({ kind, filters, pageSize }: { kind: Kind; filters: Filters; pageSize: number }) {
  switch (kind) {
    case 'questions': {
      const filter = questionFilter(filters);
      return <Results view={QUESTIONS} query={QUESTION_ROWS} pick={(d) => d.questions} filter={filter} pageSize={pageSize} exportAll={{ kind: 'QUESTIONS', questions: filter }} />;
    }
    case 'captions': {
      const filter = captionFilter(filters);
      return <Results view={CAPTIONS} query={CAPTION_ROWS} pick={(d) => d.captions} filter={filter} pageSize={pageSize} exportAll={{ kind: 'CAPTIONS', captions: filter }} />;
    }
    case 'moderations': {
      const filter = moderationFilter(filters);
      return <Results view={MODERATIONS} query={MODERATION_ROWS} pick={(d) => d.moderations} filter={filter} pageSize={pageSize} exportAll={{ kind: 'MODERATIONS', moderations: filter }} />;
    }
    case 'texts':
      return <Results view={TEXTS} query={TEXT_ROWS} pick={(d) => d.texts} filter={commonFilter(filters)} pageSize={pageSize} />;
    case 'detections':
      return <Results view={DETECTIONS} query={DETECTION_ROWS} pick={(d) => d.detections} filter={commonFilter(filters)} pageSize={pageSize} />;
  }
}

/** A stored result as every list has it. */
interface StoredRow {
  id: string;
  createdAt: string;
  model: string;
  latencyMs: number;
  usage: UsageFieldsFragment;
  image: { id: string };
}

/** One column on screen. */
interface Column<N> {
  header: string;
  show(node: N): ReactNode;
  numeric?: boolean;
}

/** How a kind's rows look: on screen, and in the CSV (the columns of the gateway's export of that kind). */
interface View<N, C extends string> {
  label: string;
  columns: Array<Column<N>>;
  csvColumns: readonly C[];
  csvRow(node: N): Record<C, Cell>;
}

/** The cells every kind shares, as the export writes them. */
function storedCells(n: StoredRow) {
  const { promptTokens, completionTokens, totalTokens, cachedTokens, cost } = n.usage;
  return { id: n.id, imageId: n.image.id, model: n.model, promptTokens, completionTokens, totalTokens, cachedTokens, latencyMs: n.latencyMs, createdAt: n.createdAt, cost: cost?.amount ?? null, costCurrency: cost?.currency ?? null };
}

/** Columns on screen around the result itself: when, which image, which model, what it cost. */
function storedColumns<N extends StoredRow>(own: Array<Column<N>>): Array<Column<N>> {
  return [
    { header: 'Stored', show: (n) => formatDate(n.createdAt) },
    { header: 'Image', show: (n) => <a href={hrefOf({ page: 'image', id: n.image.id })}>{n.image.id.slice(0, 8)}</a> },
    ...own,
    { header: 'Model', show: (n) => n.model },
    { header: 'Tokens', show: (n) => n.usage.totalTokens, numeric: true },
    { header: 'Cost', show: (n) => formatCost(n.usage.cost), numeric: true },
  ];
}

type NodeOf<C extends { edges: Array<{ node: unknown }> }> = C['edges'][number]['node'];

const QUESTIONS: View<NodeOf<QuestionRowsQuery['questions']>, (typeof QUESTION_COLUMNS)[number]> = {
  label: 'questions',
  columns: storedColumns([
    { header: 'Question', show: (n) => n.prompt },
    { header: 'Answer', show: (n) => n.answer },
  ]),
  csvColumns: QUESTION_COLUMNS,
  csvRow: (n) => ({ ...storedCells(n), prompt: n.prompt, answer: n.answer }),
};

const CAPTIONS: View<NodeOf<CaptionRowsQuery['captions']>, (typeof CAPTION_COLUMNS)[number]> = {
  label: 'captions',
  columns: storedColumns([
    { header: 'Style', show: (n) => n.style },
    { header: 'Caption', show: (n) => n.text },
  ]),
  csvColumns: CAPTION_COLUMNS,
  csvRow: (n) => ({ ...storedCells(n), style: n.style, text: n.text }),
};

const MODERATIONS: View<NodeOf<ModerationRowsQuery['moderations']>, (typeof MODERATION_COLUMNS)[number]> = {
  label: 'moderation verdicts',
  columns: storedColumns([
    { header: 'Verdict', show: (n) => <ModerationBadge flagged={n.flagged} categories={n.categories} /> },
    { header: 'Rationale', show: (n) => n.rationale },
  ]),
  csvColumns: MODERATION_COLUMNS,
  csvRow: (n) => ({ ...storedCells(n), flagged: n.flagged, categories: n.categories, rationale: n.rationale }),
};

const TEXTS: View<NodeOf<TextRowsQuery['texts']>, (typeof TEXT_COLUMNS)[number]> = {
  label: 'texts',
  columns: storedColumns([
    { header: 'Text', show: (n) => (n.text ? <span className="pre">{n.text}</span> : <span className="hint">no text</span>) },
    { header: 'Language', show: (n) => n.language ?? '' },
  ]),
  csvColumns: TEXT_COLUMNS,
  csvRow: (n) => ({ ...storedCells(n), text: n.text, language: n.language ?? null }),
};

const objectNames = (objects: ReadonlyArray<{ label: string }>) => objects.map((o) => o.label);

const DETECTIONS: View<NodeOf<DetectionRowsQuery['detections']>, (typeof DETECTION_COLUMNS)[number]> = {
  label: 'detections',
  columns: storedColumns([{ header: 'Objects', show: (n) => (n.objects.length ? objectNames(n.objects).join(', ') : <span className="hint">none</span>) }]),
  csvColumns: DETECTION_COLUMNS,
  csvRow: (n) => ({ ...storedCells(n), objects: objectNames(n.objects) }),
};

interface Connection<N> {
  edges: Array<{ node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  totalCount: number;
}

/** What the server-side export of the whole filtered list is asked for (kinds that have one). */
type ExportAll = { kind: 'QUESTIONS'; questions: QuestionFilter } | { kind: 'CAPTIONS'; captions: CaptionFilter } | { kind: 'MODERATIONS'; moderations: ModerationFilter };

interface ResultsProps<D, F, N, C extends string> {
  view: View<N, C>;
  query: TypedDocumentNode<D, { filter?: F | null; first: number; after?: string | null }>;
  pick(data: D): Connection<N>;
  filter: F;
  pageSize: number;
  exportAll?: ExportAll;
}

/** The rows on screen, "Load more" by cursor, and the CSV of exactly those rows. */
function Results<D, F, N extends StoredRow, C extends string>({ view, query, pick, filter, pageSize, exportAll }: ResultsProps<D, F, N, C>) {
  const client = useApolloClient();
  const rows = useQuery(query, { variables: { filter, first: pageSize }, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: true });
  const connection = rows.data ? pick(rows.data as D) : undefined;
  const [exportError, setExportError] = useState<unknown>(null);
  const nodes = connection?.edges.map((e) => e.node) ?? [];
  const exportAs = async (format: ExportFormat) => {
    setExportError(null);
    try {
      const result = await client.query({ query: EXPORT_URL, variables: { ...exportAll!, format }, fetchPolicy: 'no-cache' });
      if (result.data?.exportUrl) followDownload(result.data.exportUrl);
    } catch (error) {
      setExportError(error);
    }
  };
  const { label, columns } = view;
  return (
    <section aria-labelledby="results-heading">
      <div className="results-head">
        <h2 id="results-heading">
          <span data-testid="row-count">{nodes.length}</span> of <span data-testid="total-count">{connection?.totalCount ?? '…'}</span> {label} shown
        </h2>
        <button type="button" className="secondary" disabled={nodes.length === 0} onClick={() => downloadCsv(`${label.replace(/ /g, '-')}.csv`, view.csvColumns, nodes.map(view.csvRow))}>
          Download CSV ({nodes.length} rows)
        </button>
        {exportAll && (
          <>
            <button type="button" className="secondary" disabled={!connection?.totalCount} onClick={() => void exportAs('CSV')}>
              Export all as CSV
            </button>
            <button type="button" className="secondary" disabled={!connection?.totalCount} onClick={() => void exportAs('JSONL')}>
              Export all as JSON Lines
            </button>
          </>
        )}
      </div>
      <ErrorNotice error={rows.error} />
      <ErrorNotice error={exportError} />
      <div className="table-wrap">
        <table className="rows" aria-labelledby="results-heading" aria-busy={rows.loading}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.header} scope="col">
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id}>
                {columns.map((c) => (
                  <td key={c.header} className={c.numeric ? 'num' : undefined}>
                    {c.show(n)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {nodes.length === 0 && !rows.loading && <p className="hint">Nothing stored matches.</p>}
      {connection?.pageInfo.hasNextPage && (
        <button type="button" disabled={rows.loading} onClick={() => void rows.fetchMore({ variables: { after: connection.pageInfo.endCursor } })}>
          {rows.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
