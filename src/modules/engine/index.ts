import type { Platform } from '../../platform-parts.js';
import type { Analytics } from '../analytics/index.js';
import { Flights } from './flights.js';
import { ModelCalls } from './model-calls.js';

/** The engine: every model call goes through `calls`, and every keyed kind's work under way is in `flights`. */
export function provideEngine({ provider, blobs }: Platform, { analytics }: { analytics: Pick<Analytics, 'ledger'> }) {
  const { ledger } = analytics;
  return { calls: new ModelCalls({ provider, blobs, ledger }), flights: new Flights() };
}

export type Engine = ReturnType<typeof provideEngine>;
