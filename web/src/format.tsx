/** Small presentational pieces shared by the pages. */
import type { ReactNode } from 'react';
import type { CaptionStyle, ModerationCategory } from './gql/graphql';

export const CAPTION_STYLES: readonly CaptionStyle[] = ['BRIEF', 'DETAILED', 'ALT_TEXT'];

export const MODERATION_CATEGORIES: readonly ModerationCategory[] = ['SEXUAL', 'MINORS', 'VIOLENCE', 'GORE', 'HATE', 'HARASSMENT', 'SELF_HARM', 'WEAPONS', 'DRUGS', 'OTHER', 'PROVIDER_REFUSED'];

/** "0.000656 USD", or a dash when the model has no price. */
export const formatCost = (cost: { amount: string; currency: string } | null | undefined) => (cost ? `${cost.amount} ${cost.currency}` : '—');

/** A moderation verdict: "Flagged: VIOLENCE, GORE" or "Clean". */
export function ModerationBadge({ flagged, categories }: { flagged: boolean; categories: readonly string[] }) {
  return (
    <span className={flagged ? 'badge flagged' : 'badge clean'} data-testid="moderation-badge">
      {flagged ? `Flagged${categories.length ? `: ${categories.join(', ')}` : ''}` : 'Clean'}
    </span>
  );
}

/** A labelled form control, label above. */
export function Field({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

/** A labelled choice among fixed options (value and label each). */
export function SelectField<T extends string>({ id, label, value, options, onChange }: { id: string; label: string; value: T; options: ReadonlyArray<{ value: T; label: string }>; onChange: (value: T) => void }) {
  return (
    <Field id={id} label={label}>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

export const formatDate = (iso: string) => new Date(iso).toLocaleString();

export const formatBytes = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export interface UsageLike {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

const tokensOf = (usage: UsageLike) => `${usage.totalTokens} tokens (${usage.promptTokens} in, ${usage.completionTokens} out)`;

/**
 * "new · 1030 tokens (1010 in, 20 out) · 212 ms · qwen-vl-max", or for a result
 * served from the store "cached · no tokens spent now (it cost 1030 tokens when first answered) · …".
 */
export function ResultMeta({ cached, usage, latencyMs, model }: { cached: boolean; usage: UsageLike; latencyMs: number; model: string }) {
  const tokens = tokensOf(usage);
  return (
    <p className="meta">
      <span className={cached ? 'badge cached' : 'badge fresh'}>{cached ? 'cached' : 'new'}</span>{' '}
      {cached ? `no tokens spent now (it cost ${tokens} when first answered)` : `${tokens} · ${latencyMs} ms`} · {model}
    </p>
  );
}

/** A conversation reply: "1290 tokens (1270 in, 20 out) · 212 ms · qwen-vl-max" (what its whole turn cost). */
export function ReplyMeta({ usage, latencyMs, model }: { usage?: UsageLike | null; latencyMs?: number | null; model?: string | null }) {
  const parts = [usage && tokensOf(usage), latencyMs != null && `${latencyMs} ms`, model].filter(Boolean);
  return parts.length > 0 ? <p className="meta">{parts.join(' · ')}</p> : null;
}

/** What a conversation is called: its title, else its first message (shortened), else that it has none yet. */
export function conversationName(title: string | null | undefined, firstMessage: string | undefined): string {
  if (title) return title;
  if (!firstMessage) return 'New conversation';
  const line = firstMessage.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** The ALT_TEXT caption among an image's stored captions, once there is one. */
export function altTextOf(captions: ReadonlyArray<{ style: string; text: string }> | undefined): string | undefined {
  return captions?.find((c) => c.style === 'ALT_TEXT')?.text;
}
