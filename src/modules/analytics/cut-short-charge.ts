import type { ModelPrompt, ModelUsage, UpstreamCall } from '../../model/provider.js';
import { textTokens } from '../../model/token-estimate.js';
import { releaseReservation, type TokenReservation } from '../access/caller.js';
import type { LedgerCall } from './usage-ledger.js';

export interface CutShortOptions {
  /** Fires when everyone the work was for has gone: a closed socket, a stream left, a cancelled job. */
  left: AbortSignal | undefined;
  /** The estimated prompt tokens of a request carrying these prompts (a chat request reports none). */
  promptTokens: (prompts: readonly ModelPrompt[]) => number;
  /** A request's max_tokens: the endpoint writes no more than this. */
  maxCompletionTokens: number;
}

/**
 * What model work cut short is charged. An endpoint bills the prompt it has
 * read and whatever it wrote before the cancel, but reports usage only at the
 * end of a reply (a stream's last chunk), so a call whose callers left, or
 * whose streamed reply broke off after text had come, reports none. Such a
 * call is charged the estimated prompt tokens (token-estimate.ts) plus the
 * completion tokens of the text already received (at most max_tokens), and
 * recorded as estimated. One instance per piece of work, so that the budget
 * is settled with the same figure the usage ledger records: a dropped socket
 * dodges neither the budget nor the bill.
 */
export class CutShortCharge {
  private received = '';

  constructor(private readonly options: CutShortOptions) {}

  /** Text the endpoint has streamed. */
  receive(delta: string): void {
    this.received += delta;
  }

  /** The endpoint started on the work and it did not end: its callers left, or its reply broke off after text had come. */
  get cutShort(): boolean {
    return this.options.left?.aborted === true || this.received.trim() !== '';
  }

  /** The estimated usage of a request carrying `prompts` cut short now. */
  usage(prompts: readonly ModelPrompt[] = []): ModelUsage {
    const promptTokens = this.options.promptTokens(prompts);
    const completionTokens = Math.min(textTokens(this.received), this.options.maxCompletionTokens);
    return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0 };
  }

  /** Tokens a failed call owes: the estimate when it was cut short, else 0 (a failure before any work is never billed). */
  owed(prompts: readonly ModelPrompt[] = []): number {
    return this.cutShort ? this.usage(prompts).totalTokens : 0;
  }

  /** Settles a failed call's reservation with what it owes. */
  settleFailed(reservation: TokenReservation): Promise<void> {
    return releaseReservation(reservation, this.owed());
  }

  /** A call as the provider reported it, for the ledger: one cut short reported no usage, so it gets the estimate, marked as such. */
  report(call: UpstreamCall): LedgerCall {
    if (call.outcome === 'ok' || call.usage.totalTokens > 0 || !this.cutShort) return call;
    return { ...call, usage: this.usage(call.prompts), estimated: true };
  }
}
