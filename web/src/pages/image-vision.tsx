import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useState, type ReactNode } from 'react';
import { ModerationBadge, ResultMeta } from '../format';
import type { DetectionFieldsFragment, ModerationFieldsFragment, TextFieldsFragment } from '../gql/graphql';
import { DETECT_OBJECTS, IMAGE_STORED_VISION, MODERATE_IMAGE, NEAR_DUPLICATES, READ_TEXT } from '../operations';
import { ErrorNotice } from '../problems';
import { hrefOf } from '../route';

type VisionKind = 'moderation' | 'text' | 'objects';

export interface ImageVision {
  moderation?: ModerationFieldsFragment;
  text?: TextFieldsFragment;
  objects?: DetectionFieldsFragment;
  /** Reading what is stored (no model call): nothing is known yet. */
  loading: boolean;
  storedError: unknown;
  /** The kind being asked of the model now. */
  busy: string | null;
  error: unknown;
  ask(kind: VisionKind, refresh: boolean): Promise<void>;
}

/**
 * Moderation, text and objects of one image: what is stored, read from the
 * lists when the page opens (no model call), then what the buttons ask for.
 */
export function useImageVision(id: string): ImageVision {
  const client = useApolloClient();
  const stored = useQuery(IMAGE_STORED_VISION, { variables: { imageId: id }, fetchPolicy: 'network-only' });
  const [moderate] = useMutation(MODERATE_IMAGE);
  const [fresh, setFresh] = useState<Pick<ImageVision, VisionKind>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const askModel = async (kind: VisionKind, refresh: boolean) => {
    switch (kind) {
      case 'moderation':
        return (await moderate({ variables: { imageId: id, refresh } })).data?.moderateImage;
      case 'text':
        return (await client.query({ query: READ_TEXT, variables: { id, refresh }, fetchPolicy: 'no-cache' })).data?.image?.text;
      case 'objects':
        return (await client.query({ query: DETECT_OBJECTS, variables: { id, refresh }, fetchPolicy: 'no-cache' })).data?.image?.objects;
    }
  };

  const ask = async (kind: VisionKind, refresh: boolean) => {
    setBusy(`${kind}${refresh ? '-refresh' : ''}`);
    setError(null);
    try {
      const value = await askModel(kind, refresh);
      if (value) setFresh((all) => ({ ...all, [kind]: value }));
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(null);
    }
  };

  const data = stored.data;
  return {
    moderation: fresh.moderation ?? data?.moderations.edges[0]?.node,
    text: fresh.text ?? data?.texts.edges[0]?.node,
    objects: fresh.objects ?? data?.detections.edges[0]?.node,
    loading: stored.loading,
    storedError: stored.error,
    busy,
    error,
    ask,
  };
}

/** The boxes of the detected objects over the picture, in its pixels; hovering one highlights its row. */
export function DetectionOverlay({ detection, width, height, highlighted, onHighlight }: { detection: DetectionFieldsFragment; width: number; height: number; highlighted: number | null; onHighlight(index: number | null): void }) {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 250));
  const fontSize = Math.max(12, Math.round(Math.max(width, height) / 40));
  return (
    <svg className="detections" aria-label="Detected objects" role="img" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none">
      {detection.objects.map(({ label, box }, i) => (
        <g key={i} className={highlighted === i ? 'object highlighted' : 'object'} onMouseEnter={() => onHighlight(i)} onMouseLeave={() => onHighlight(null)} data-index={i}>
          <title>{label}</title>
          <rect x={box.x} y={box.y} width={box.width} height={box.height} strokeWidth={stroke} />
          <text x={box.x + stroke} y={box.y > fontSize ? box.y - stroke : box.y + fontSize} fontSize={fontSize}>
            {label}
          </text>
        </g>
      ))}
    </svg>
  );
}

interface PanelProps {
  vision: ImageVision;
  highlighted: number | null;
  onHighlight(index: number | null): void;
}

const LABELS: Record<VisionKind, { title: string; ask: string; refresh: string }> = {
  moderation: { title: 'Moderation', ask: 'Moderate', refresh: 'Refresh moderation' },
  text: { title: 'Text in the image', ask: 'Read text', refresh: 'Refresh text' },
  objects: { title: 'Objects', ask: 'Detect objects', refresh: 'Refresh objects' },
};

/** One kind of result: what is stored (or that nothing is), and its button. */
function VisionCard({ kind, vision, children }: { kind: VisionKind; vision: ImageVision; children?: ReactNode }) {
  const value = vision[kind];
  const labels = LABELS[kind];
  const asking = vision.busy?.startsWith(kind) ?? false;
  return (
    <article className="caption" aria-labelledby={`vision-${kind}`} aria-busy={asking || vision.loading}>
      <h3 id={`vision-${kind}`}>{labels.title}</h3>
      {value ? (
        <>
          {children}
          <ResultMeta {...value} />
        </>
      ) : vision.loading ? (
        <p className="hint">Looking for a stored result…</p>
      ) : asking ? (
        <p className="hint">Asking the model…</p>
      ) : (
        <p className="hint">Not asked yet.</p>
      )}
      <button type="button" className={value ? 'secondary' : undefined} disabled={vision.busy !== null || vision.loading} onClick={() => void vision.ask(kind, Boolean(value))}>
        {asking && value ? 'Refreshing…' : value ? labels.refresh : labels.ask}
      </button>
    </article>
  );
}

/** Moderation verdict, text read and objects detected, each with its button. */
export function VisionPanel({ vision, highlighted, onHighlight }: PanelProps) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied.');
    } catch {
      setCopied('The browser did not allow copying: select the text instead.');
    }
  };
  return (
    <section aria-labelledby="vision-heading">
      <h2 id="vision-heading">What the model saw</h2>
      <ErrorNotice error={vision.storedError} title="Stored results could not be read." />
      <ErrorNotice error={vision.error} />
      <VisionCard kind="moderation" vision={vision}>
        {vision.moderation && (
          <>
            <p>
              <ModerationBadge flagged={vision.moderation.flagged} categories={vision.moderation.categories} />
            </p>
            <p className="caption-text">{vision.moderation.rationale}</p>
          </>
        )}
      </VisionCard>
      <VisionCard kind="text" vision={vision}>
        {vision.text &&
          (vision.text.text ? (
            <>
              <pre className="read-text" data-testid="read-text" lang={vision.text.language ?? undefined}>
                {vision.text.text}
              </pre>
              <button type="button" className="secondary" onClick={() => void copy(vision.text!.text)}>
                Copy text
              </button>{' '}
              <span role="status" className="hint">
                {copied}
              </span>
            </>
          ) : (
            <p className="hint">The model found no text in this image.</p>
          ))}
      </VisionCard>
      <VisionCard kind="objects" vision={vision}>
        {vision.objects &&
          (vision.objects.objects.length > 0 ? (
            <ul className="object-list" aria-label="Objects found">
              {vision.objects.objects.map(({ label, box }, i) => (
                <li key={i} className={highlighted === i ? 'highlighted' : undefined} onMouseEnter={() => onHighlight(i)} onMouseLeave={() => onHighlight(null)}>
                  {label} <span className="hint">at {box.x}, {box.y} · {box.width}×{box.height} px</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="hint">The model found no objects.</p>
          ))}
      </VisionCard>
    </section>
  );
}

/** This tenant's images that are near-duplicates of this one (by fingerprint, no model call). */
export function NearDuplicates({ id }: { id: string }) {
  const result = useQuery(NEAR_DUPLICATES, { variables: { id }, errorPolicy: 'all' });
  const images = result.data?.image?.nearDuplicates;
  return (
    <section aria-labelledby="near-heading">
      <h2 id="near-heading">Near-duplicates</h2>
      <ErrorNotice error={result.error} />
      {result.loading ? (
        <p className="hint" aria-busy="true">
          Looking for near-duplicates…
        </p>
      ) : images && images.length > 0 ? (
        <ul className="near-duplicates" aria-label="Near-duplicate images">
          {images.map((image) => (
            <li key={image.id}>
              <a href={hrefOf({ page: 'image', id: image.id })}>
                <img src={image.thumbnailUrl} alt="" loading="lazy" />
                <span>
                  Image {image.id.slice(0, 8)} ({image.width}×{image.height})
                </span>
              </a>
            </li>
          ))}
        </ul>
      ) : (
        images && <p className="hint">None of your other images is a near-duplicate of this one.</p>
      )}
    </section>
  );
}
