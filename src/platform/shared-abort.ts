import { setMaxListeners } from 'node:events';

/**
 * One piece of work several callers wait on (a single-flight upstream call),
 * cancelled only when every one of them has given up: each caller joins with
 * its own signal, and `signal` fires when the last of those fires. A caller
 * without a signal waits for good, so the work is never aborted.
 * `release()` drops the listeners once the work has settled.
 */
export class SharedAbort {
  private readonly controller = new AbortController();
  private waiting = 0;
  private forever = false;
  private readonly listeners: Array<() => void> = [];

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  join(signal: AbortSignal | undefined): void {
    if (!signal) {
      this.forever = true;
      return;
    }
    if (signal.aborted) return;
    // One caller (a job) may wait on many calls at once: that is expected, not a leak.
    setMaxListeners(0, signal);
    this.waiting++;
    const leave = () => {
      this.waiting--;
      if (this.waiting === 0 && !this.forever) this.controller.abort(signal.reason);
    };
    signal.addEventListener('abort', leave, { once: true });
    this.listeners.push(() => signal.removeEventListener('abort', leave));
  }

  release(): void {
    for (const remove of this.listeners.splice(0)) remove();
  }
}
