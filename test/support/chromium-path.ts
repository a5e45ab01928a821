import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * `which chromium`, in code: CHROMIUM_PATH when set (only that one, so pointing it at nothing
 * leaves the browser tests out), else the first chromium or chromium-browser on PATH.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.CHROMIUM_PATH
    ? [env.CHROMIUM_PATH]
    : (env.PATH ?? '').split(path.delimiter).flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => path.join(dir, name)));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
