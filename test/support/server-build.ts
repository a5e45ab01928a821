// Vitest global setup: gateways started as processes of their own run dist/main.js, as `npm start`
// does. Builds it once, before any worker starts, from the sources as they are now.
import { buildServer } from '../../src/cli/build-server.js';

export default async function setup(): Promise<void> {
  await buildServer();
}
