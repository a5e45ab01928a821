import { useMutation, useQuery } from '@apollo/client/react';
import pLimit from 'p-limit';
import { useState, type DragEvent } from 'react';
import { altTextOf } from '../format';
import { IMAGE_GRID, UPLOAD_IMAGE } from '../operations';
import { ErrorNotice, problemsOf, type Problem } from '../problems';
import { hrefOf } from '../route';

const PAGE_SIZE = 24;
/** Uploads in flight at once: enough to fill the pipe, few enough to keep the gateway responsive. */
const PARALLEL_UPLOADS = 3;

interface UploadRow {
  name: string;
  state: 'uploading' | 'done' | 'failed';
  imageId?: string;
  problems?: Problem[];
}

/** Images: upload (picker or drag and drop, one request per file so one bad file fails alone) and the thumbnail grid. */
export function ImagesPage() {
  const grid = useQuery(IMAGE_GRID, { variables: { first: PAGE_SIZE, size: 256 }, notifyOnNetworkStatusChange: true });
  const [upload] = useMutation(UPLOAD_IMAGE);
  const [rows, setRows] = useState<UploadRow[]>([]);
  const [dragging, setDragging] = useState(false);

  const uploadFiles = async (files: File[]) => {
    if (files.length === 0) return;
    setRows(files.map((file) => ({ name: file.name, state: 'uploading' })));
    const update = (index: number, row: Partial<UploadRow>) => setRows((all) => all.map((r, i) => (i === index ? { ...r, ...row } : r)));
    const limit = pLimit(PARALLEL_UPLOADS);
    await Promise.all(
      files.map((file, index) =>
        limit(async () => {
          try {
            const result = await upload({ variables: { file } });
            update(index, { state: 'done', imageId: result.data?.uploadImage.id });
          } catch (error) {
            update(index, { state: 'failed', problems: problemsOf(error) });
          }
        }),
      ),
    );
    await grid.refetch();
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void uploadFiles([...event.dataTransfer.files]);
  };

  const connection = grid.data?.images;
  return (
    <>
      <h1 tabIndex={-1}>Images</h1>
      <section aria-labelledby="upload-heading">
        <h2 id="upload-heading">Upload</h2>
        <div
          className={dragging ? 'dropzone dragging' : 'dropzone'}
          data-testid="dropzone"
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <p>Drop JPEG, PNG, WebP or GIF files here, or</p>
          <input
            id="file-input"
            className="visually-hidden"
            type="file"
            multiple
            accept="image/jpeg,image/png,image/webp,image/gif"
            onChange={(event) => {
              const files = [...(event.currentTarget.files ?? [])];
              event.currentTarget.value = '';
              void uploadFiles(files);
            }}
          />
          <label htmlFor="file-input" className="button">
            Choose images…
          </label>
        </div>
        {rows.length > 0 && (
          <ul className="upload-results" aria-live="polite" aria-label="Upload results">
            {rows.map((row, i) => (
              <li key={i} className={row.state}>
                <span className="file-name">{row.name}</span>{' '}
                {row.state === 'uploading' && 'uploading…'}
                {row.state === 'done' && row.imageId && <a href={hrefOf({ page: 'image', id: row.imageId })}>uploaded</a>}
                {row.state === 'failed' &&
                  row.problems?.map((p, j) => (
                    <span key={j} role="alert">
                      {p.code && <code className="code">{p.code}</code>} {p.message}
                    </span>
                  ))}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="grid-heading">
        <h2 id="grid-heading">Stored images</h2>
        <ErrorNotice error={grid.error} />
        {connection && connection.edges.length === 0 && <p>{rows.some((row) => row.state === 'uploading') ? 'Uploading: the images appear here once stored.' : 'No images yet: upload one above.'}</p>}
        <ul className="grid">
          {connection?.edges.map(({ node }) => (
            <li key={node.id}>
              <a href={hrefOf({ page: 'image', id: node.id })} className="tile">
                <img src={node.thumbnailUrl} alt={altTextOf(node.captions) ?? `Image ${node.id.slice(0, 8)} (no description yet)`} loading="lazy" />
                <span className="tile-caption">
                  {node.width}×{node.height}
                </span>
              </a>
            </li>
          ))}
        </ul>
        {connection?.pageInfo.hasNextPage && (
          <button type="button" disabled={grid.loading} onClick={() => void grid.fetchMore({ variables: { after: connection.pageInfo.endCursor } })}>
            {grid.loading ? 'Loading…' : 'Load more'}
          </button>
        )}
        {grid.loading && !connection && <p aria-busy="true">Loading…</p>}
      </section>
    </>
  );
}
