// Vitest global setup: the console and GraphiQL tests need web/dist. Builds it
// once, before any worker starts, when it is missing or older than web/src
// (npm install builds it too; this catches edits made since).
import { ensureWebBuild } from '../../web/build.js';

export default function setup(): void {
  ensureWebBuild();
}
