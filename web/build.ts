/**
 * Builds the web console and GraphiQL (web/dist) with Vite.
 *
 *   tsx web/build.ts           build when web/dist is missing or older than its sources (npm start)
 *   tsx web/build.ts --force   always build (npm install, npm run build:web)
 *
 * The build is never committed; the gateway serves it (src/platform/http/web-pages.ts).
 * When Vite is not installed (npm install --omit=dev) it says so and exits 0:
 * the gateway then runs without the console and GET / says how to build it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const WEB = fileURLToPath(new URL('.', import.meta.url));
const ROOT = path.dirname(WEB.replace(/\/$/, ''));
const DIST = path.join(WEB, 'dist');
const PAGES = ['console', 'explorer'] as const;
const manifestOf = (dist: string, page: string) => path.join(dist, '.vite', `${page}.json`);
/**
 * The console's operations by sha256 (web/codegen.ts writes them): shipped with the build it
 * belongs to, where the gateway reads it to trust them (src/platform/graphql/trusted-documents.ts).
 */
const CONSOLE_DOCUMENTS = path.join(WEB, 'src', 'gql', 'persisted-documents.json');
const shippedDocumentsOf = (dist: string) => path.join(dist, '.vite', 'persisted-documents.json');
/** What the build is made from: a change to any of them makes it stale. */
const SOURCES = ['web/index.html', 'web/explorer.html', 'web/vite.config.ts', 'web/tsconfig.json', 'web/src', 'web/public', 'src/platform/csv-field.ts', 'package-lock.json'];

function newestMtime(file: string): number {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newestMtime(path.join(file, name))));
}

export function webBuildIsCurrent(): boolean {
  const manifests = [...PAGES.map((page) => manifestOf(DIST, page)), shippedDocumentsOf(DIST)];
  if (!manifests.every(existsSync)) return false;
  const builtAt = Math.min(...manifests.map((file) => statSync(file).mtimeMs));
  return SOURCES.every((source) => newestMtime(path.join(ROOT, source)) <= builtAt);
}

function viteBin(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    return undefined;
  }
}

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

/** Per page: the files it loads before it runs (entry, static imports, CSS), raw and gzipped. */
export function pageSizes(dist = DIST): Array<{ page: string; files: number; bytes: number; gzipBytes: number }> {
  return PAGES.flatMap((page) => {
    const manifest = JSON.parse(readFileSync(manifestOf(dist, page), 'utf8')) as Record<string, ManifestChunk>;
    return Object.values(manifest)
      .filter((chunk) => chunk.isEntry)
      .map((entry) => {
      const files = new Set<string>();
      const visit = (chunk: ManifestChunk) => {
        if (files.has(chunk.file)) return;
        files.add(chunk.file);
        chunk.css?.forEach((css) => files.add(css));
        chunk.imports?.forEach((name) => visit(manifest[name]!));
      };
      visit(entry);
      let bytes = 0;
      let gzipBytes = 0;
      for (const file of files) {
        const content = readFileSync(path.join(dist, file));
        bytes += content.length;
        gzipBytes += gzipSync(content, { level: 9 }).length;
      }
      return { page, files: files.size, bytes, gzipBytes };
    });
  });
}

/** Builds now; false when Vite is not installed. Throws when the build fails. */
export function buildWeb(): boolean {
  const vite = viteBin();
  if (!vite) {
    console.warn('web console: not built (Vite is not installed; run a full `npm install` to get the console at /)');
    return false;
  }
  // Built aside, then swapped in: a gateway serving web/dist (or a second build
  // started at the same time, say by two test runs) never sees half a build.
  const out = path.join(WEB, `.dist-${process.pid}`);
  try {
    for (const page of PAGES) {
      const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(WEB, 'vite.config.ts')], {
        cwd: ROOT,
        stdio: 'inherit',
        // NODE_ENV decides React's production build (a test runner's NODE_ENV=test must not leak in).
        env: { ...process.env, NODE_ENV: 'production', WEB_PAGE: page, WEB_OUT_DIR: out },
      });
      if (result.status !== 0) throw new Error(`web console: vite build of the ${page} failed (exit ${result.status ?? result.signal})`);
    }
    copyFileSync(CONSOLE_DOCUMENTS, shippedDocumentsOf(out));
    const old = path.join(WEB, `.dist-old-${process.pid}`);
    const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code;
    try {
      renameSync(DIST, old);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw error;
    }
    try {
      renameSync(out, DIST);
    } catch (error) {
      // Another build of the same sources landed in between: keep it.
      if (codeOf(error) !== 'ENOTEMPTY' && codeOf(error) !== 'EEXIST') throw error;
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  for (const { page, files, bytes, gzipBytes } of pageSizes()) {
    console.log(`web console: built ${page} — ${files} files, ${kib(bytes)} (${kib(gzipBytes)} gzip) loaded at start`);
  }
  return true;
}

/** Builds unless the build on disk is current. */
export function ensureWebBuild(): void {
  if (!webBuildIsCurrent()) buildWeb();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    if (process.argv.includes('--force')) buildWeb();
    else ensureWebBuild();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
