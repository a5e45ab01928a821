import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { altTextOf, formatBytes, formatDate, ResultMeta } from '../format';
import type { CaptionFieldsFragment, CaptionStyle } from '../gql/graphql';
import { BRIEF_CAPTION, CAPTION_IMAGE, IMAGE_DETAIL } from '../operations';
import { ErrorNotice } from '../problems';
import { ImageChat } from './image-chat';
import { ImageQuestions } from './image-questions';
import { DetectionOverlay, NearDuplicates, useImageVision, VisionPanel } from './image-vision';

const STYLES: Array<{ style: CaptionStyle; label: string }> = [
  { style: 'BRIEF', label: 'Brief' },
  { style: 'DETAILED', label: 'Detailed' },
  { style: 'ALT_TEXT', label: 'Alt text' },
];

/** One image: the picture, its captions (BRIEF fetched on open), questions with their streamed answers, and a chat. */
export function ImagePage({ id }: { id: string }) {
  const detail = useQuery(IMAGE_DETAIL, { variables: { id } });
  // Sent with the detail query, not after it. The model may fail while the image is fine:
  // 'all' keeps the data and reports the error at `caption`.
  const brief = useQuery(BRIEF_CAPTION, { variables: { id }, errorPolicy: 'all' });
  const [captionImage] = useMutation(CAPTION_IMAGE);
  /** Captions of this visit, over what was stored. */
  const [captions, setCaptions] = useState<Partial<Record<CaptionStyle, CaptionFieldsFragment>>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const vision = useImageVision(id);
  /** The detected object pointed at, on the picture or in the list. */
  const [highlighted, setHighlighted] = useState<number | null>(null);

  const image = detail.data?.image;
  if (detail.error) return <ErrorNotice error={detail.error} title="The image could not be loaded." />;
  if (!image) {
    return detail.loading ? (
      <>
        <h1 tabIndex={-1}>Image</h1>
        <p aria-busy="true">Loading…</p>
      </>
    ) : (
      <NotFound />
    );
  }

  const stored = (style: CaptionStyle) => image.captions.find((c) => c.style === style);
  const captionOf = (style: CaptionStyle) =>
    captions[style] ?? (style === 'BRIEF' ? (brief.data?.image?.caption ?? undefined) : undefined) ?? stored(style);
  const altText = captionOf('ALT_TEXT')?.text ?? altTextOf(image.captions);

  const run = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setActionError(null);
    try {
      await work();
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(null);
    }
  };
  const caption = (style: CaptionStyle, refresh: boolean) =>
    run(`${style}${refresh ? '-refresh' : ''}`, async () => {
      const result = await captionImage({ variables: { imageId: id, style, refresh } });
      const value = result.data?.captionImage;
      if (value) setCaptions((all) => ({ ...all, [style]: value }));
    });
  const briefProblem = brief.error && !captions.BRIEF;

  return (
    <>
      <h1 tabIndex={-1}>Image {image.id.slice(0, 12)}</h1>
      <div className="image-layout">
        <figure className="picture">
          <div className="picture-frame">
            <img src={image.url} alt={altText ?? ''} data-testid="picture" />
            {vision.objects && <DetectionOverlay detection={vision.objects} width={image.width} height={image.height} highlighted={highlighted} onHighlight={setHighlighted} />}
          </div>
          <figcaption>
            {image.width}×{image.height} · {image.mimeType} · {formatBytes(image.byteSize)} · uploaded {formatDate(image.createdAt)}
            {!altText && <span className="hint"> · no alt text yet (use “Caption: Alt text”)</span>}
          </figcaption>
        </figure>
        <div className="image-side">
          <section aria-labelledby="captions-heading">
            <h2 id="captions-heading">Captions</h2>
            <ErrorNotice error={actionError} />
            {STYLES.map(({ style, label }) => {
              const value = captionOf(style);
              const loading = busy === style || (style === 'BRIEF' && brief.loading && !value);
              return (
                <article key={style} className="caption" aria-labelledby={`caption-${style}`} aria-busy={loading}>
                  <h3 id={`caption-${style}`}>{label}</h3>
                  {value ? (
                    <>
                      <p className="caption-text" data-testid={`caption-${style}`}>
                        {value.text}
                      </p>
                      <ResultMeta {...value} />
                      <button type="button" className="secondary" disabled={busy !== null} onClick={() => void caption(style, true)}>
                        {busy === `${style}-refresh` ? 'Refreshing…' : `Refresh ${label.toLowerCase()}`}
                      </button>
                    </>
                  ) : loading ? (
                    <p className="hint">Asking the model…</p>
                  ) : (
                    <>
                      {style === 'BRIEF' && briefProblem && <ErrorNotice error={brief.error} />}
                      <button type="button" disabled={busy !== null} onClick={() => void caption(style, false)}>
                        {style === 'BRIEF' && briefProblem ? 'Try again' : `Caption: ${label}`}
                      </button>
                    </>
                  )}
                </article>
              );
            })}
          </section>
          <VisionPanel vision={vision} highlighted={highlighted} onHighlight={setHighlighted} />
          <ImageQuestions imageId={id} stored={image.questions} />
          <ImageChat imageId={id} />
          <NearDuplicates id={id} />
        </div>
      </div>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Image not found</h1>
      <p>
        No image with this id (or it belongs to another API key's tenant). <a href="#/images">Back to images</a>
      </p>
    </>
  );
}
