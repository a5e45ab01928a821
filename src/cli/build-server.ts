/**
 * Compiles the gateway (src/) to JavaScript in dist/ for `npm start`: one file per module, nothing
 * bundled, with source maps. Running the sources under tsx kept its loader in the server: on Node
 * 22 and 24 its resolve hook runs for every require() (Apollo requires "crypto" to hash each
 * query), and its transform wraps every named closure in `__name` (esbuild's keepNames), which a
 * request pays for each closure it makes; a cached answer was served about 1.5× faster on Node 24
 * without them (docs/performance.md). esbuild is tsx's own compiler and reads the same tsconfig
 * (legacy decorators), so the code is the one the tests run, minus those wrappers.
 * dist/ mirrors src/ at the same depth, so paths made from import.meta.url (../../../prisma/,
 * web/dist/) resolve as they do from src/.
 *
 *   npm run build   (npm start runs it first)
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_DIST = path.join(ROOT, 'dist');
/** What `npm start` runs, relative to the project's root. */
export const SERVER_ENTRY = 'dist/main.js';

/**
 * Compiles `files` (paths under `outbase`) into `outdir`, each to its own .js beside its source map;
 * `bundle`: each with the project's modules it imports inlined (packages stay imports).
 */
export async function compile(files: string[], options: { outbase: string; outdir: string; bundle?: boolean }): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: files,
    outbase: options.outbase,
    outdir: options.outdir,
    ...(options.bundle ? { bundle: true, packages: 'external' as const } : {}),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Rebuilds dist/ from every module under src/ (declaration files have no code). */
export async function buildServer(): Promise<void> {
  const src = path.join(ROOT, 'src');
  const modules = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(src, file));
  // A module deleted from src/ must not linger in dist/.
  rmSync(SERVER_DIST, { recursive: true, force: true });
  await compile(modules, { outbase: src, outdir: SERVER_DIST });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  await buildServer();
  console.log(`server: built ${path.relative(process.cwd(), SERVER_DIST) || '.'} in ${Math.round(performance.now() - started)} ms`);
}
