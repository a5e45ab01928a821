import type { Services } from '../app.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver gets: the services, and loaders scoped to this one operation. */
export interface Context {
  services: Services;
  loaders: Loaders;
}

export function createContext(services: Services): Context {
  return { services, loaders: createLoaders(services) };
}
