import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// graphql 16 has no "exports": Node (and tsx, in production) loads its CommonJS build everywhere,
// while Vite would give transformed files the .mjs build — two copies whose instanceof checks
// fail across. Point Vite at the copy Node uses.
const graphqlCjs = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCjs }] },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Builds web/dist (the console, GraphiQL) once when stale and dist/ (the server child gateways
    // run), before the workers start; finds PostgreSQL (else PGlite), Redis, Chromium and tmpfs
    // once, and says which tests are left out.
    globalSetup: ['test/support/web-build.ts', 'test/support/server-build.ts', 'test/support/test-services.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for an event; its deadline is only a backstop, generous for a busy machine (vitest's own is 1 s).
    expect: { poll: { timeout: 20_000 } },
    // Integration files each boot a gateway; two cores, so run files two at a time.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
