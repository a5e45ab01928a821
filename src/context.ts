import type { Services } from './app-types.js';
import type { Caller } from './modules/access/caller.js';
import { createLoaders, type Loaders } from './loaders.js';
import { signalOf, type LazySignal } from './platform/http/client-gone.js';

/** What every resolver gets: the services, and loaders scoped to this one operation (or subscription event). */
export interface Context {
  services: Services;
  /** Who asks; everything they read or write is scoped to caller.tenant. */
  caller: Caller;
  loaders: Loaders;
  /** Where minted URLs (images, thumbnails, export links) point: see OperationContext.baseUrl. */
  baseUrl: string;
  /** Fires when the client is gone; upstream calls made only for it are then aborted. */
  signal?: AbortSignal;
}

/**
 * A class so that `signal` is made only when a resolver reads it: its getter sits on the
 * prototype, which Apollo's shallow copy of the context keeps, with `clientGone` beside it.
 */
class OperationScope implements Context {
  readonly loaders: Loaders;

  constructor(
    readonly services: Services,
    readonly caller: Caller,
    readonly baseUrl: string,
    readonly clientGone: LazySignal | undefined,
  ) {
    this.loaders = createLoaders(services, caller, clientGone);
  }

  get signal(): AbortSignal | undefined {
    return signalOf(this.clientGone);
  }
}

export function createContext(services: Services, caller: Caller, baseUrl: string, clientGone?: LazySignal): Context {
  return new OperationScope(services, caller, baseUrl, clientGone);
}
