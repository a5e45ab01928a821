import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console (index.html) and GraphiQL (explorer.html), served by the
 * gateway (src/platform/http/console-routes.ts, src/platform/http/explorer-route.ts). Each page
 * is its own build (WEB_PAGE=console|explorer; web/build.ts runs both), so the
 * console never shares a chunk with GraphiQL and carries only what it uses.
 * No React plugin: esbuild compiles the JSX (web/tsconfig.json sets react-jsx),
 * which is all a production build needs.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const page = process.env.WEB_PAGE === 'explorer' ? 'explorer' : 'console';

export default defineConfig({
  root: here('.'),
  base: '/',
  // Copied once, by the console build.
  publicDir: page === 'console' ? here('public') : false,
  // Nothing from the environment reaches the bundle: no VITE_* variables are read.
  envPrefix: 'WEB_CONSOLE_NEVER_',
  build: {
    outDir: process.env.WEB_OUT_DIR ?? here('dist'),
    // The console build starts the folder; the explorer build adds to it.
    emptyOutDir: page === 'console',
    assetsDir: 'assets',
    // Small assets would become data: URLs, which the console's CSP does not allow.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    // web/build.ts reads it to report the page's size.
    manifest: `.vite/${page}.json`,
    rollupOptions: {
      input: { [page]: here(page === 'console' ? 'index.html' : 'explorer.html') },
      onwarn(warning, warn) {
        // React libraries mark modules "use client" for server components; meaningless in a browser bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
