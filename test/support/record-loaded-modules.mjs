// Preloaded into a gateway process (NODE_OPTIONS=--import ...): at exit it writes the files of
// every CommonJS module it loaded (the OpenTelemetry packages are CommonJS, whether imported or
// required; every require shares one cache) to LOADED_MODULES_FILE, so a test can tell which
// packages the process loaded.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire(import.meta.url);
process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));
