import type { Services } from './app-types.js';
import type { Caller } from './modules/access/caller.js';
import { createLoaders, type Loaders } from './loaders.js';

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

export function createContext(services: Services, caller: Caller, baseUrl: string, signal?: AbortSignal): Context {
  return { services, caller, loaders: createLoaders(services, caller, signal), baseUrl, signal };
}
