// Preloaded into a gateway process (NODE_OPTIONS=--require ...): at exit it writes the files of
// every CommonJS module it loaded (the OpenTelemetry packages are CommonJS, whether imported or
// required) to LOADED_MODULES_FILE, so a test can tell which packages the process loaded.
const { writeFileSync } = require('node:fs');

process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));
