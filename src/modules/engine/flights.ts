import type { SharedAbort } from '../../platform/shared-abort.js';

/** One piece of model work under way, which identical asks wait on instead of paying again. */
export interface Flight<T> {
  work: Promise<T>;
  /** Fires when every caller waiting on the work has gone: the work is then being cut short. */
  abort: SharedAbort;
}

/**
 * The gateway's one in-flight table (single flight within a process; across
 * replicas, claims do the same: answer-claims.ts). Each kind of work has its
 * lane, so its keys never meet another kind's, and every lane keeps the same
 * rules: an entry lives until its work settles, success or not (failures are
 * never kept); a caller joins with its signal, so the work is cancelled only
 * when all have gone; work every caller has left cannot be joined (it is
 * being cut short: asking again beats inheriting its abort).
 */
export class Flights {
  private readonly table = new Map<string, Flight<unknown>>();

  /** The lane of one kind of work; `F` is what its entries carry. */
  lane<F extends Flight<unknown>>(kind: string): FlightLane<F> {
    return new FlightLane<F>(this.table, kind);
  }

  /** Work under way, of every kind. */
  get size(): number {
    return this.table.size;
  }
}

export class FlightLane<F extends Flight<unknown>> {
  constructor(
    private readonly table: Map<string, Flight<unknown>>,
    private readonly kind: string,
  ) {}

  /** The flight under way for the key, joinable or not. */
  get(key: string): F | undefined {
    return this.table.get(this.entryOf(key)) as F | undefined;
  }

  /** The key's flight, now also waited on by the owner of `signal`; undefined when there is none or every caller has left it. */
  join(key: string, signal: AbortSignal | undefined): F | undefined {
    const flight = this.get(key);
    if (!flight || flight.abort.signal.aborted) return undefined;
    flight.abort.join(signal);
    return flight;
  }

  /** Registers the key's flight until its work settles. */
  track(key: string, flight: F): void {
    const entry = this.entryOf(key);
    this.table.set(entry, flight);
    const clear = () => {
      if (this.table.get(entry) === flight) this.table.delete(entry);
    };
    flight.work.then(clear, clear);
  }

  private entryOf(key: string): string {
    return `${this.kind} ${key}`;
  }
}
