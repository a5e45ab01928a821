import type { Services } from '../app.js';
import type { Caller } from '../services/auth/caller.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver gets: the services, and loaders scoped to this one operation. */
export interface Context {
  services: Services;
  /** Who asks; everything they read or write is scoped to caller.tenant. */
  caller: Caller;
  loaders: Loaders;
}

export function createContext(services: Services, caller: Caller): Context {
  return { services, caller, loaders: createLoaders(services, caller) };
}
